/**
 * Known networks that fetch tracked images and links on a recipient's behalf.
 *
 * Deliberately short: only well-known blocks, each with where it comes from. "[2nd]" marks
 * ranges seen in third-party code, blog posts or issue threads rather than in the owner's
 * own published list. A wrong entry here silently reclassifies real people, so when in doubt
 * a block is left out (see the notes) rather than guessed. These lists go stale; refresh
 * them from the owners' feeds (Microsoft 365 endpoints web service, Google's
 * _netblocks/_spf TXT records, AWS ip-ranges.json, Azure service tags) when updating.
 */

/**
 * Apple: 17.0.0.0/8 is Apple's own legacy block, and Mail Privacy Protection's fetch proxies
 * egress from it (jusso-dev/Collie#31/#50 [2nd]). 2620:149::/32 and 2a01:b740::/32 are Apple
 * (AS714) IPv6 blocks as listed in several third-party ASN tables [2nd].
 * iCloud Private Relay egress is NOT listed: it runs through partner CDNs (Akamai, Cloudflare,
 * Fastly) with a large, changing CSV, and those addresses also carry ordinary human browsing,
 * so listing them would be infeasible here and wrong as an MPP signal anyway.
 */
export const APPLE_CIDRS: readonly string[] = ["17.0.0.0/8", "2620:149::/32", "2a01:b740::/32"];

/**
 * Google mail infrastructure, which includes the Gmail image proxy (ci*.googleusercontent.com).
 * IPv4 from Google's _spf.google.com / _netblocks records as captured by blankcode/msipdelta2
 * [2nd]; IPv6 /36s from the _netblocks2.google.com record as quoted in a `dig` transcript [2nd].
 */
export const GOOGLE_CIDRS: readonly string[] = [
  "64.233.160.0/19",
  "66.102.0.0/20",
  "66.249.80.0/20",
  "72.14.192.0/18",
  "74.125.0.0/16",
  "108.177.8.0/21",
  "108.177.96.0/19",
  "173.194.0.0/16",
  "209.85.128.0/17",
  "216.58.192.0/19",
  "216.239.32.0/19",
  "2001:4860:4000::/36",
  "2404:6800:4000::/36",
  "2607:f8b0:4000::/36",
  "2a00:1450:4000::/36",
];

/**
 * Yahoo. All [2nd]: 98.136.0.0/14, 74.6.0.0/16, 67.195.0.0/16 and 72.30.0.0/16 are the
 * Yahoo blocks long used by Bad Behavior to verify Yahoo's crawler; 66.196.64.0/18 is a
 * Yahoo registration quoted in mail-tracking write-ups and is the least certain. Not listed:
 * 216.39.60.0/23, which we could not confirm. Only ever used to add a reason next to the
 * YahooMailProxy user agent, so an error here cannot change a class.
 */
export const YAHOO_CIDRS: readonly string[] = [
  "98.136.0.0/14",
  "74.6.0.0/16",
  "67.195.0.0/16",
  "72.30.0.0/16",
  "66.196.64.0/18",
];

/**
 * Microsoft Exchange Online Protection / Defender Safe Links.
 * From Microsoft's "Microsoft 365 URLs and IP address ranges" (Exchange Online, worldwide):
 * 40.92.0.0/15, 40.107.0.0/16, 52.100.0.0/14, 104.47.0.0/17 and the EOP IPv6 /48s, plus the
 * two Exchange Online /31s 13.107.6.152/31 and 13.107.18.10/31.
 * 40.94.0.0/16 is NOT in Microsoft's list but is where Safe Links detonations are observed
 * (mautic/mautic#9400, e.g. 40.94.29.84; LUCY phishing-simulation docs) [2nd].
 */
export const MICROSOFT_EOP_CIDRS: readonly string[] = [
  "40.92.0.0/15",
  "40.94.0.0/16",
  "40.107.0.0/16",
  "52.100.0.0/14",
  "104.47.0.0/17",
  "13.107.6.152/31",
  "13.107.18.10/31",
  "2a01:111:f400::/48",
  "2a01:111:f403::/48",
];

/**
 * Mimecast: a subset of the _netblocks.mimecast.com SPF records (US, UK/EU), as captured by
 * blankcode/msipdelta2 [2nd]. Mimecast also runs regional blocks (DE, ZA, AU, CA) not listed.
 */
export const MIMECAST_CIDRS: readonly string[] = [
  "205.139.110.0/24",
  "207.211.30.64/26",
  "207.211.30.128/25",
  "207.211.31.0/25",
  "216.205.24.0/24",
  "63.128.21.0/24",
  "170.10.129.0/24",
  "170.10.133.0/24",
  "91.220.42.0/24",
  "195.130.217.0/24",
  "146.101.78.0/24",
  "185.58.85.0/24",
  "185.58.86.0/24",
];

/**
 * Proofpoint (pphosted.com / URL Defense): 148.163.128.0/19, 67.231.144.0/20 and
 * 205.220.160.0/19, the blocks repeatedly cited in allow-lists and scanner-filter code [2nd].
 * Proofpoint Essentials and per-customer appliances use other addresses and are not listed.
 */
export const PROOFPOINT_CIDRS: readonly string[] = [
  "148.163.128.0/19",
  "67.231.144.0/20",
  "205.220.160.0/19",
];

/**
 * Barracuda Email Security Service (US): 64.235.144.0/20 and 209.222.80.0/21, per Barracuda
 * Campus "Barracuda Email Security Service IP Ranges" (quoted 2nd-hand; the page body did not
 * survive our copy) [2nd]. Other regions (EU/AU/CA, partly on AWS) are not listed.
 */
export const BARRACUDA_CIDRS: readonly string[] = ["64.235.144.0/20", "209.222.80.0/21"];

/**
 * Cisco Secure Email (IronPort): intentionally empty. Cloud gateways are provisioned per
 * customer, and Cisco Umbrella's 146.112.0.0/16 is a web proxy that also carries real people's
 * clicks, so it must not be treated as a scanner. Cisco is detected by user agent instead.
 */
export const CISCO_CIDRS: readonly string[] = [];

/**
 * Security vendors whose address alone marks a hit as a scanner (see classify.ts policy).
 * The key becomes the reason code `ip_<key>`.
 */
export const SECURITY_VENDOR_NETWORKS: Readonly<Record<string, readonly string[]>> = {
  microsoft_eop: MICROSOFT_EOP_CIDRS,
  mimecast: MIMECAST_CIDRS,
  proofpoint: PROOFPOINT_CIDRS,
  barracuda: BARRACUDA_CIDRS,
  cisco: CISCO_CIDRS,
};

/**
 * Big public-cloud blocks: a WEAK signal only. Scanners and sandboxes often run there, but so
 * do VPNs, corporate proxies and remote desktops used by real people.
 * - AWS: examples from AWS ip-ranges.json (merged by rezmoss/cloud-provider-ip-addresses) [2nd].
 * - Azure: 13.64.0.0/11, 40.64.0.0/10, 52.224.0.0/11 (Azure blocks as published in GitHub's
 *   api.github.com/meta Actions ranges) [2nd]. 40.64.0.0/10 also covers EOP; vendor lists win.
 * - Google Cloud: 34.64.0.0/10, 35.184.0.0/13 (Google's _cloud-netblocks) [2nd].
 */
export const DATACENTER_CIDRS: readonly string[] = [
  // AWS
  "3.64.0.0/11",
  "3.128.0.0/12",
  "18.192.0.0/11",
  "34.192.0.0/10",
  "44.192.0.0/10",
  "52.0.0.0/11",
  "54.64.0.0/11",
  "54.144.0.0/12",
  "54.160.0.0/11",
  // Azure
  "13.64.0.0/11",
  "40.64.0.0/10",
  "52.224.0.0/11",
  // Google Cloud
  "34.64.0.0/10",
  "35.184.0.0/13",
];
