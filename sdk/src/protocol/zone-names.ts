/**
 * Time zone names that Intl accepts in any case but answers with another name
 * (`resolvedOptions().timeZone` gives its canonical zone: Asia/Kolkata -> Asia/Calcutta,
 * US/Eastern -> America/New_York, Etc/UTC -> UTC), so their spelling cannot be read back from it:
 * the tz database's links and the zones CLDR treats as aliases (tz 2025b), and ICU's legacy ids.
 * Names Intl answers with themselves are not listed; a link added to the tz database later and
 * missing here is kept as typed (its case unchanged, never renamed).
 */
export const ZONE_ALIASES: ReadonlyMap<string, string> = new Map(
  `
ACT AET AGT ART AST Africa/Asmara Africa/Timbuktu America/Argentina/Buenos_Aires
America/Argentina/Catamarca America/Argentina/ComodRivadavia America/Argentina/Cordoba
America/Argentina/Jujuy America/Argentina/Mendoza America/Atikokan America/Atka America/Ensenada
America/Fort_Wayne America/Indiana/Indianapolis America/Kentucky/Louisville America/Knox_IN
America/Montreal America/Nipigon America/Nuuk America/Pangnirtung America/Porto_Acre
America/Rainy_River America/Rosario America/Santa_Isabel America/Shiprock America/Thunder_Bay
America/Virgin America/Yellowknife Antarctica/South_Pole Asia/Ashkhabad Asia/Choibalsan
Asia/Chongqing Asia/Chungking Asia/Dacca Asia/Harbin Asia/Ho_Chi_Minh Asia/Istanbul Asia/Kashgar
Asia/Kathmandu Asia/Kolkata Asia/Macao Asia/Tel_Aviv Asia/Thimbu Asia/Ujung_Pandang Asia/Ulan_Bator
Asia/Yangon Atlantic/Faroe Atlantic/Jan_Mayen Australia/ACT Australia/Canberra Australia/Currie
Australia/LHI Australia/NSW Australia/North Australia/Queensland Australia/South Australia/Tasmania
Australia/Victoria Australia/West Australia/Yancowinna BET BST Brazil/Acre Brazil/DeNoronha
Brazil/East Brazil/West CAT CET CNT CST CST6CDT CTT Canada/Atlantic Canada/Central
Canada/East-Saskatchewan Canada/Eastern Canada/Mountain Canada/Newfoundland Canada/Pacific
Canada/Saskatchewan Canada/Yukon Chile/Continental Chile/EasterIsland Cuba EAT ECT EET EST EST5EDT
Egypt Eire Etc/GMT Etc/GMT+0 Etc/GMT-0 Etc/GMT0 Etc/Greenwich Etc/UCT Etc/UTC Etc/Universal Etc/Zulu
Europe/Belfast Europe/Kyiv Europe/Nicosia Europe/Tiraspol Europe/Uzhgorod Europe/Zaporozhye GB
GB-Eire GMT GMT+0 GMT-0 GMT0 Greenwich HST Hongkong IET IST Iceland Iran Israel JST Jamaica Japan
Kwajalein Libya MET MIT MST MST7MDT Mexico/BajaNorte Mexico/BajaSur Mexico/General NET NST NZ
NZ-CHAT Navajo PLT PNT PRC PRT PST PST8PDT Pacific/Chuuk Pacific/Johnston Pacific/Kanton
Pacific/Pohnpei Pacific/Samoa Pacific/Yap Poland Portugal ROC ROK SST Singapore Turkey UCT US/Alaska
US/Aleutian US/Arizona US/Central US/East-Indiana US/Eastern US/Hawaii US/Indiana-Starke US/Michigan
US/Mountain US/Pacific US/Pacific-New US/Samoa Universal VST W-SU WET Zulu
`
    .trim()
    .split(/\s+/)
    .map((name) => [name.toLowerCase(), name]),
);
