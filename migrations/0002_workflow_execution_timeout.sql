-- Workers register each workflow's default execution timeout (from its definition); starts and
-- scheduled runs that set none use it, else the platform default of 1 hour.
ALTER TABLE workflow_types ADD COLUMN execution_timeout INTEGER;
