#!/usr/bin/env node
/* Checks the consent strings fairbid-loadgen's built-in generator writes against IAB's reference decoders.
 * Reads `fairbid-loadgen --dump-strings N` on stdin: lines "tcf <TC string> <json>" and "gpp <GPP string> <json>",
 * where the JSON holds the fields the generator meant to encode. Each string is decoded with
 * @iabtechlabtcf/core or @iabgpp/cmpapi and every field compared. Prints mismatches (up to a limit), a summary
 * with the count of bitfield and range vendor encodings seen, and exits 1 on any mismatch or decode error.
 *
 * usage: fairbid-loadgen --dump-strings 2000 | node check_loadgen_strings.js
 */
'use strict';
const readline = require('readline');
const { TCString } = require('@iabtechlabtcf/core');
const { GppModel } = require('@iabgpp/cmpapi');

let n = { tcf: 0, gpp: 0, bad: 0, range: 0, bitfield: 0 };
const MAX_REPORT = 20;
function fail(kind, s, msg) {
  n.bad++;
  if (n.bad <= MAX_REPORT) console.error(`MISMATCH ${kind} ${s.slice(0, 60)}...: ${msg}`);
}
const ids = (vec) => {
  const out = [];
  vec.forEach((v, id) => { if (v) out.push(id); });
  return out.sort((a, b) => a - b);
};
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function checkTcf(s, want) {
  n.tcf++;
  n[want.encoding] = (n[want.encoding] || 0) + 1;
  let m;
  try {
    m = TCString.decode(s);
  } catch (e) {
    return fail('tcf', s, `decode error: ${e.message}`);
  }
  const scalars = ['cmpId', 'cmpVersion', 'consentScreen', 'vendorListVersion', 'policyVersion',
    'consentLanguage', 'publisherCountryCode', 'isServiceSpecific'];
  for (const k of scalars) {
    if (String(m[k]) !== String(want[k])) fail('tcf', s, `${k}: want ${want[k]}, got ${m[k]}`);
  }
  if (m.created.getTime() !== want.created_ds * 100) fail('tcf', s, `created: want ${want.created_ds * 100}, got ${m.created.getTime()}`);
  if (m.lastUpdated.getTime() !== want.updated_ds * 100) fail('tcf', s, 'lastUpdated differs');
  const vectors = ['specialFeatureOptins', 'purposeConsents', 'purposeLegitimateInterests', 'vendorConsents',
    'vendorLegitimateInterests', 'vendorsDisclosed'];
  for (const k of vectors) {
    const got = ids(m[k]);
    if (!same(got, want[k])) fail('tcf', s, `${k}: want ${JSON.stringify(want[k])}, got ${JSON.stringify(got)}`);
  }
}

function checkGpp(s, want) {
  n.gpp++;
  let sec;
  try {
    const m = new GppModel(s);
    if (!same(m.getSectionIds(), [7])) return fail('gpp', s, `section ids ${JSON.stringify(m.getSectionIds())}`);
    sec = m.getSection('usnat');
  } catch (e) {
    return fail('gpp', s, `decode error: ${e.message}`);
  }
  if (!sec) return fail('gpp', s, 'no usnat section');
  if (sec.Version !== 2) fail('gpp', s, `Version ${sec.Version}`);
  for (const [k, v] of Object.entries(want)) {
    if (!same(sec[k], v)) fail('gpp', s, `${k}: want ${JSON.stringify(v)}, got ${JSON.stringify(sec[k])}`);
  }
  if (sec.GpcSegmentType !== 1) fail('gpp', s, 'GPC subsection missing');
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const a = line.indexOf(' '), b = line.indexOf(' ', a + 1);
  if (a < 0 || b < 0) return;
  const kind = line.slice(0, a), s = line.slice(a + 1, b);
  let want;
  try {
    want = JSON.parse(line.slice(b + 1));
  } catch (e) {
    return fail(kind, s, 'bad expectation JSON');
  }
  if (kind === 'tcf') checkTcf(s, want);
  else if (kind === 'gpp') checkGpp(s, want);
});
rl.on('close', () => {
  console.log(`check_loadgen_strings: ${n.tcf} TC strings (${n.bitfield || 0} bitfield, ${n.range || 0} range, ` +
    `${n.shortest || 0} shortest), ${n.gpp} GPP strings, ${n.bad} mismatches`);
  if (n.tcf === 0 || n.gpp === 0) {
    console.error('check_loadgen_strings: expected both TC and GPP strings on stdin');
    process.exit(1);
  }
  process.exit(n.bad ? 1 : 0);
});
