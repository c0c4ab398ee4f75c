#!/usr/bin/env node
/* Differential test of `fairbid decode --batch` against IAB's reference libraries.
 *
 * TC strings: generated bit by bit here (so that bitfield and range encodings, restrictions and every
 * segment type occur at chosen rates), decoded by @iabtechlabtcf/core and by fairbid, compared field by
 * field. GPP strings: built with @iabgpp/cmpapi's own encoder (US National v1/v2, the state sections, TCF
 * EU, US Privacy, GPC and sensitive-data sub-sections), decoded by the same library and by fairbid.
 * US National "Version 1" strings in the Version 2 layout: written by @iabgpp/cmpapi 3.1.7's encoder (as
 * iabgpp-java also writes them), decoded by 3.1.7 and by fairbid (issue 14; 3.2.0 misreads them).
 * Fixed seed; prints every mismatch (up to a limit) and exits 1 on any.
 *
 * usage: node interop.js FAIRBID_BIN [--tcf N] [--gpp N] [--usnat31 N] [--seed S] [--dump-corpus DIR]
 * --dump-corpus writes the first 24 strings of each kind to DIR/tcf/ and DIR/gpp/ (fuzz seeds).
 */
'use strict';
const { spawnSync } = require('child_process');
const { TCString } = require('@iabtechlabtcf/core');
const { GppModel } = require('@iabgpp/cmpapi');
const { GppModel: GppModel31 } = require('@iabgpp/cmpapi-3.1');

const args = process.argv.slice(2);
const bin = args[0];
if (!bin) {
  console.error('usage: node interop.js FAIRBID_BIN [--tcf N] [--gpp N] [--seed S]');
  process.exit(2);
}
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N_TCF = opt('--tcf', 10000);
const N_GPP = opt('--gpp', 10000);
const N_USNAT31 = opt('--usnat31', 2000);
const SEED = opt('--seed', 20260301);
const DUMP = args.indexOf('--dump-corpus') >= 0 ? args[args.indexOf('--dump-corpus') + 1] : null;
function dump(kind, strings) {
  if (!DUMP) return;
  const fs = require('fs');
  fs.mkdirSync(`${DUMP}/${kind}`, { recursive: true });
  strings.slice(0, 24).forEach((s, i) => fs.writeFileSync(`${DUMP}/${kind}/interop_${i}`, s));
}

/* mulberry32: small, seedable, good enough for test data. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const R = rng(SEED);
const int = (lo, hi) => lo + Math.floor(R() * (hi - lo + 1)); // inclusive
const bool = (p = 0.5) => R() < p;
const pick = (a) => a[Math.floor(R() * a.length)];

/* ---- TC string writer ------------------------------------------------------------------------- */

class BitWriter {
  constructor() { this.bits = []; }
  int(v, width) {
    for (let i = width - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2);
  }
  bool(b) { this.bits.push(b ? 1 : 0); }
  b64() {
    const DICT = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const b = this.bits.slice();
    while (b.length % 8) b.push(0); // whole bytes, as CMPs emit them
    while (b.length % 6) b.push(0);
    let s = '';
    for (let i = 0; i < b.length; i += 6) {
      let v = 0;
      for (let k = 0; k < 6; k++) v = v * 2 + b[i + k];
      s += DICT[v];
    }
    return s;
  }
}

function randomIdSet(maxLimit) {
  const kind = R();
  const ids = new Set();
  if (kind < 0.1) return [];
  if (kind < 0.45) { // small and sparse
    const max = int(1, Math.min(maxLimit, 60));
    const n = int(1, 10);
    for (let i = 0; i < n; i++) ids.add(int(1, max));
  } else if (kind < 0.75) { // large and dense: runs
    const max = int(100, maxLimit);
    let v = int(1, 20);
    while (v <= max) {
      const run = int(1, 60);
      for (let k = 0; k < run && v <= max; k++, v++) ids.add(v);
      v += int(1, 40);
    }
  } else { // large and sparse
    const max = int(300, maxLimit);
    const n = int(1, 40);
    for (let i = 0; i < n; i++) ids.add(int(1, max));
  }
  return [...ids].sort((a, b) => a - b);
}

function toRanges(ids) {
  const out = [];
  for (const id of ids) {
    const last = out[out.length - 1];
    if (last && last[1] + 1 === id) last[1] = id;
    else out.push([id, id]);
  }
  return out;
}

function writeRanges(w, ranges) {
  w.int(ranges.length, 12);
  for (const [s, e] of ranges) {
    w.bool(s !== e);
    w.int(s, 16);
    if (s !== e) w.int(e, 16);
  }
}

/* MaxVendorId, IsRangeEncoding, bitfield or ranges; returns the encoding used. */
function writeVendorSet(w, ids) {
  const max = ids.length ? ids[ids.length - 1] : 0;
  w.int(max, 16);
  const range = ids.length > 0 && bool(0.5);
  w.bool(range);
  if (range) {
    writeRanges(w, toRanges(ids));
  } else {
    const set = new Set(ids);
    for (let i = 1; i <= max; i++) w.bool(set.has(i));
  }
  return range ? 'range' : 'bitfield';
}

const letters = () => String.fromCharCode(65 + int(0, 25)) + String.fromCharCode(65 + int(0, 25));
const maskIds = (n, p) => { const a = []; for (let i = 1; i <= n; i++) if (bool(p)) a.push(i); return a; };
const writeMask = (w, ids, n) => { const s = new Set(ids); for (let i = 1; i <= n; i++) w.bool(s.has(i)); };

const stats = { range: 0, bitfield: 0, restrictions: 0, disclosed: 0, allowed: 0, publisherTC: 0 };

function randomTcString() {
  const w = new BitWriter();
  w.int(2, 6);
  const created = int(15000000000, 19000000000); // deciseconds: 2017..2030
  w.int(created, 36);
  w.int(created + int(0, 100000000), 36);
  w.int(int(2, 4095), 12);
  w.int(int(0, 4095), 12);
  w.int(int(0, 63), 6);
  const lang = letters();
  w.int(lang.charCodeAt(0) - 65, 6);
  w.int(lang.charCodeAt(1) - 65, 6);
  w.int(int(1, 4095), 12);
  w.int(int(2, 5), 6);
  w.bool(bool(0.7));
  w.bool(bool(0.2));
  writeMask(w, maskIds(12, 0.3), 12);
  writeMask(w, maskIds(24, 0.5), 24);
  writeMask(w, maskIds(24, 0.3), 24);
  w.bool(bool(0.1));
  const cc = letters();
  w.int(cc.charCodeAt(0) - 65, 6);
  w.int(cc.charCodeAt(1) - 65, 6);
  stats[writeVendorSet(w, randomIdSet(3000))]++;
  stats[writeVendorSet(w, randomIdSet(1500))]++;
  // Publisher restrictions: distinct purposes, so that no vendor has two types for one purpose.
  const purposes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].sort(() => R() - 0.5).slice(0, bool(0.6) ? int(1, 4) : 0);
  w.int(purposes.length, 12);
  for (const p of purposes) {
    stats.restrictions++;
    w.int(p, 6);
    w.int(int(0, 2), 2);
    const ids = randomIdSet(800);
    writeRanges(w, toRanges(ids.length ? ids : [int(1, 500)]));
  }
  const segs = [w.b64()];
  const extra = [];
  if (bool(0.6)) extra.push('d');
  if (bool(0.15)) extra.push('a');
  if (bool(0.4)) extra.push('p');
  extra.sort(() => R() - 0.5);
  for (const t of extra) {
    const s = new BitWriter();
    if (t === 'd' || t === 'a') {
      s.int(t === 'd' ? 1 : 2, 3);
      writeVendorSet(s, randomIdSet(2000));
      stats[t === 'd' ? 'disclosed' : 'allowed']++;
    } else {
      stats.publisherTC++;
      s.int(3, 3);
      writeMask(s, maskIds(24, 0.5), 24);
      writeMask(s, maskIds(24, 0.3), 24);
      const nc = bool(0.5) ? int(0, 20) : 0;
      s.int(nc, 6);
      writeMask(s, maskIds(nc, 0.5), nc);
      writeMask(s, maskIds(nc, 0.5), nc);
    }
    segs.push(s.b64());
  }
  return segs.join('.');
}

/* ---- reference views --------------------------------------------------------------------------- */

const vecIds = (v) => { const a = []; v.forEach((has, id) => { if (has) a.push(id); }); return a.sort((x, y) => x - y); };

function refTcf(m) {
  const restr = {};
  m.publisherRestrictions.getRestrictions().forEach((pr) => {
    restr[pr.purposeId + '-' + pr.restrictionType] = m.publisherRestrictions.getVendors(pr).slice().sort((a, b) => a - b);
  });
  return {
    version: m.version,
    created: m.created.getTime(),
    lastUpdated: m.lastUpdated.getTime(),
    cmpId: m.cmpId,
    cmpVersion: m.cmpVersion,
    consentScreen: m.consentScreen,
    consentLanguage: m.consentLanguage,
    vendorListVersion: m.vendorListVersion,
    policyVersion: m.policyVersion,
    isServiceSpecific: m.isServiceSpecific,
    useNonStandardTexts: m.useNonStandardTexts,
    specialFeatureOptins: vecIds(m.specialFeatureOptins),
    purposeConsents: vecIds(m.purposeConsents),
    purposeLegitimateInterests: vecIds(m.purposeLegitimateInterests),
    purposeOneTreatment: m.purposeOneTreatment,
    publisherCountryCode: m.publisherCountryCode,
    vendorConsents: vecIds(m.vendorConsents),
    vendorLegitimateInterests: vecIds(m.vendorLegitimateInterests),
    publisherRestrictions: restr,
    vendorsDisclosed: vecIds(m.vendorsDisclosed),
    vendorsAllowed: vecIds(m.vendorsAllowed),
    publisherConsents: vecIds(m.publisherConsents),
    publisherLegitimateInterests: vecIds(m.publisherLegitimateInterests),
    publisherCustomConsents: vecIds(m.publisherCustomConsents),
    publisherCustomLegitimateInterests: vecIds(m.publisherCustomLegitimateInterests),
  };
}

/* fairbid's JSON in the same shape (restrictions merged per purpose-type, as the library keeps them). */
function oursTcf(o) {
  const restr = {};
  for (const r of o.publisherRestrictions) {
    const k = r.purposeId + '-' + r.restrictionType;
    restr[k] = [...new Set([...(restr[k] || []), ...r.vendorIds])].sort((a, b) => a - b);
  }
  const out = { ...o, publisherRestrictions: restr };
  delete out.segments;
  delete out.numCustomPurposes;
  return out;
}

/* GPP's tcfeuv2 section (its own field names) in the TCModel shape above. */
function gppTcfToModel(t) {
  const idx = (bools) => bools.map((b, i) => (b ? i + 1 : 0)).filter((x) => x);
  const restr = {};
  for (const e of t.PublisherRestrictions) {
    restr[e.key + '-' + e.type] = e.ids.slice().sort((a, b) => a - b);
  }
  return {
    version: t.Version,
    created: new Date(t.Created).getTime(),
    lastUpdated: new Date(t.LastUpdated).getTime(),
    cmpId: t.CmpId,
    cmpVersion: t.CmpVersion,
    consentScreen: t.ConsentScreen,
    consentLanguage: t.ConsentLanguage,
    vendorListVersion: t.VendorListVersion,
    policyVersion: t.PolicyVersion,
    isServiceSpecific: t.IsServiceSpecific,
    useNonStandardTexts: t.UseNonStandardStacks,
    specialFeatureOptins: idx(t.SpecialFeatureOptins),
    purposeConsents: idx(t.PurposeConsents),
    purposeLegitimateInterests: idx(t.PurposeLegitimateInterests),
    purposeOneTreatment: t.PurposeOneTreatment,
    publisherCountryCode: t.PublisherCountryCode,
    vendorConsents: t.VendorConsents.slice().sort((a, b) => a - b),
    vendorLegitimateInterests: t.VendorLegitimateInterests.slice().sort((a, b) => a - b),
    publisherRestrictions: restr,
    vendorsDisclosed: t.VendorsDisclosed.slice().sort((a, b) => a - b),
    vendorsAllowed: t.VendorsAllowed.slice().sort((a, b) => a - b),
    publisherConsents: idx(t.PublisherConsents),
    publisherLegitimateInterests: idx(t.PublisherLegitimateInterests),
    publisherCustomConsents: idx(t.PublisherCustomConsents),
    publisherCustomLegitimateInterests: idx(t.PublisherCustomLegitimateInterests),
  };
}

/* ---- GPP generation ---------------------------------------------------------------------------- */

const US_SECTIONS = ['usnat', 'usca', 'usva', 'usco', 'usut', 'usct', 'usfl', 'usmt', 'usor', 'ustx', 'usde',
  'usia', 'usne', 'usnh', 'usnj', 'ustn', 'usmn', 'usmd', 'usin', 'usky', 'usri'];
const SUB_SENSITIVE = new Set(['usin', 'usky', 'usri']);
const NO_SUB = new Set(['usva', 'usut', 'usfl']);
const gppStats = { tcfeuv2: 0, uspv1: 0, usnat_v1: 0, usnat_v2: 0, states: 0, gpc: 0 };

function randomGpp() {
  const m = new GppModel();
  const chosen = US_SECTIONS.filter(() => bool(0.15));
  if (bool(0.4) && !chosen.includes('usnat')) chosen.push('usnat');
  for (const sec of chosen) {
    const obj = new GppModel().getSection(sec) || null;
    void obj;
    // Touch the section so it exists with defaults, then randomise each field it has.
    m.setFieldValue(sec, sec === 'usmd' || SUB_SENSITIVE.has(sec) ? 'MspaVersion' : 'Version', 1);
    const fields = m.getSection(sec);
    let v2 = true;
    if (sec === 'usnat') {
      v2 = bool(0.5);
      m.setFieldValue(sec, 'Version', v2 ? 2 : 1);
      gppStats[v2 ? 'usnat_v2' : 'usnat_v1']++;
    } else {
      gppStats.states++;
    }
    for (const [name, val] of Object.entries(fields)) {
      if (name === 'Version' || name === 'MspaVersion' || name === 'GpcSegmentType') continue;
      if (name === 'Gpc' || name === 'GpcSegmentIncluded' || name === 'SensitiveDataConsentSegmentIncluded') continue;
      if (Array.isArray(val)) {
        let n = val.length;
        if (sec === 'usnat' && !v2 && name === 'SensitiveDataProcessing') n = 12;
        if (sec === 'usnat' && !v2 && name === 'KnownChildSensitiveDataConsents') n = 2;
        const a = [];
        for (let i = 0; i < n; i++) a.push(int(0, 2));
        if (sec === 'usnat' && !v2) while (a.length < val.length) a.push(0);
        m.setFieldValue(sec, name, a);
      } else if (name === 'MspaCoveredTransaction') {
        m.setFieldValue(sec, name, int(1, 2));
      } else {
        m.setFieldValue(sec, name, int(0, 2));
      }
    }
    if (!NO_SUB.has(sec)) {
      if (SUB_SENSITIVE.has(sec)) {
        m.setFieldValue(sec, 'SensitiveDataConsentSegmentIncluded', bool(0.5));
      } else {
        const inc = bool(0.6);
        m.setFieldValue(sec, 'GpcSegmentIncluded', inc);
        if (inc) {
          const g = bool(0.5);
          m.setFieldValue(sec, 'Gpc', g);
          if (g) gppStats.gpc++;
        }
      }
    }
  }
  if (bool(0.3)) {
    gppStats.uspv1++;
    m.setFieldValue('uspv1', 'Notice', pick(['Y', 'N', '-']));
    m.setFieldValue('uspv1', 'OptOutSale', pick(['Y', 'N', '-']));
    m.setFieldValue('uspv1', 'LspaCovered', pick(['Y', 'N', '-']));
  }
  if (bool(0.3) || chosen.length === 0) {
    gppStats.tcfeuv2++;
    const t = 'tcfeuv2';
    m.setFieldValue(t, 'CmpId', int(2, 4095));
    m.setFieldValue(t, 'CmpVersion', int(0, 4095));
    m.setFieldValue(t, 'ConsentScreen', int(0, 63));
    m.setFieldValue(t, 'VendorListVersion', int(1, 4095));
    m.setFieldValue(t, 'PolicyVersion', int(2, 5));
    m.setFieldValue(t, 'IsServiceSpecific', true); // the library refuses to encode false
    m.setFieldValue(t, 'UseNonStandardStacks', bool(0.2));
    m.setFieldValue(t, 'PurposeOneTreatment', bool(0.1));
    m.setFieldValue(t, 'PublisherCountryCode', letters());
    m.setFieldValue(t, 'ConsentLanguage', letters());
    const bools = (n, p) => { const a = []; for (let i = 0; i < n; i++) a.push(bool(p)); return a; };
    m.setFieldValue(t, 'SpecialFeatureOptins', bools(12, 0.3));
    m.setFieldValue(t, 'PurposeConsents', bools(24, 0.5));
    m.setFieldValue(t, 'PurposeLegitimateInterests', bools(24, 0.3));
    m.setFieldValue(t, 'VendorConsents', randomIdSet(2000));
    m.setFieldValue(t, 'VendorLegitimateInterests', randomIdSet(1000));
    m.setFieldValue(t, 'VendorsDisclosed', randomIdSet(1000));
    m.setFieldValue(t, 'PublisherConsents', bools(24, 0.5));
    m.setFieldValue(t, 'PublisherLegitimateInterests', bools(24, 0.3));
    const nc = bool(0.3) ? int(1, 10) : 0;
    if (nc) {
      m.setFieldValue(t, 'NumCustomPurposes', nc);
      m.setFieldValue(t, 'PublisherCustomConsents', bools(nc, 0.5));
      m.setFieldValue(t, 'PublisherCustomLegitimateInterests', bools(nc, 0.5));
    }
    // Last: any other set stamps today's date. Whole seconds, as the library keeps deciseconds.
    m.setFieldValue(t, 'Created', new Date(int(1500000000, 1900000000) * 1000));
  }
  return m.encode();
}

/* ---- comparison -------------------------------------------------------------------------------- */

function diff(a, b, path, out) {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    out.push(`${path}: ref=${JSON.stringify(a)} fairbid=${JSON.stringify(b)}`);
    return;
  }
  if (a && typeof a === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) diff(a[k], b[k], path + '.' + k, out);
    return;
  }
  if (a !== b) out.push(`${path}: ref=${JSON.stringify(a)} fairbid=${JSON.stringify(b)}`);
}

function runBatch(kind, strings) {
  const r = spawnSync(bin, ['decode', '--batch', kind], { input: strings.join('\n') + '\n', maxBuffer: 1 << 30 });
  if (r.status !== 0) {
    console.error(`fairbid decode --batch ${kind} exited ${r.status}: ${r.stderr}`);
    process.exit(1);
  }
  const lines = r.stdout.toString().split('\n');
  lines.pop();
  if (lines.length !== strings.length) {
    console.error(`fairbid printed ${lines.length} lines for ${strings.length} strings`);
    process.exit(1);
  }
  return lines.map((l) => JSON.parse(l));
}

let mismatches = 0;
const report = (kind, s, diffs) => {
  mismatches++;
  if (mismatches <= 20) console.log(`MISMATCH ${kind} ${s}\n  ` + diffs.slice(0, 10).join('\n  '));
};

const t0 = Date.now();
const tcs = [];
for (let i = 0; i < N_TCF; i++) tcs.push(randomTcString());
dump('tcf', tcs);
const tcOut = runBatch('tcf', tcs);
tcs.forEach((s, i) => {
  let ref;
  try {
    ref = refTcf(TCString.decode(s));
  } catch (e) {
    report('tcf', s, [`reference library failed: ${e.message}`]);
    return;
  }
  if (tcOut[i].error) return report('tcf', s, [`fairbid error: ${tcOut[i].error}`]);
  const d = [];
  diff(ref, oursTcf(tcOut[i]), 'tcf', d);
  if (d.length) report('tcf', s, d);
});

const gpps = [];
for (let i = 0; i < N_GPP; i++) gpps.push(randomGpp());
dump('gpp', gpps);
const gppOut = runBatch('gpp', gpps);
gpps.forEach((s, i) => {
  const ref = new GppModel(s).toObject();
  const ours = gppOut[i];
  if (ours.error) return report('gpp', s, [`fairbid error: ${ours.error}`]);
  const mine = {};
  for (const [name, sec] of Object.entries(ours.sections)) {
    if (name === 'tcfeuv2') {
      mine[name] = oursTcf(sec);
      continue;
    }
    const c = { ...sec };
    delete c.GpcSegmentIncluded; // the library's toObject() leaves the flag out
    delete c.SensitiveDataConsentSegmentIncluded;
    mine[name] = c;
  }
  if (ref.tcfeuv2) ref.tcfeuv2 = gppTcfToModel(ref.tcfeuv2);
  for (const sec of SUB_SENSITIVE) {
    // The library shows the default sub-section values when the sub-section is absent; so do we.
    if (ref[sec]) delete ref[sec].SensitiveDataConsentSegmentIncluded;
  }
  const d = [];
  diff(ref, mine, 'gpp', d);
  if (d.length) report('gpp', s, d);
});

/* ---- US National Version 1 in the Version 2 layout (@iabgpp/cmpapi 3.1.7) ------------------------ */

const usnat31Stats = { strings: 0, knownChild3: 0, childMissedBy320: 0, withUsp: 0 };
function randomUsnat31() {
  const m = new GppModel31();
  m.setFieldValue('usnat', 'Version', 1);
  const fields = m.getSection('usnat');
  for (const [name, val] of Object.entries(fields)) {
    if (name === 'Version' || name === 'GpcSegmentType' || name === 'Gpc' || name === 'GpcSegmentIncluded') continue;
    if (Array.isArray(val)) m.setFieldValue('usnat', name, val.map(() => int(0, 2)));
    else if (name === 'MspaCoveredTransaction') m.setFieldValue('usnat', name, int(1, 2));
    else m.setFieldValue('usnat', name, int(0, 2));
  }
  // the case that matters: a 16-17 year old known (the third KnownChildSensitiveDataConsents value)
  if (bool(0.3)) m.setFieldValue('usnat', 'KnownChildSensitiveDataConsents', [0, 0, int(1, 2)]);
  const inc = bool(0.6);
  m.setFieldValue('usnat', 'GpcSegmentIncluded', inc);
  if (inc) m.setFieldValue('usnat', 'Gpc', bool(0.5));
  if (bool(0.2)) {
    usnat31Stats.withUsp++;
    m.setFieldValue('uspv1', 'Notice', pick(['Y', 'N', '-']));
    m.setFieldValue('uspv1', 'OptOutSale', pick(['Y', 'N', '-']));
    m.setFieldValue('uspv1', 'LspaCovered', pick(['Y', 'N', '-']));
  }
  return m.encode();
}

const u31 = [];
for (let i = 0; i < N_USNAT31; i++) u31.push(randomUsnat31());
dump('gpp-usnat31', u31);
const u31Out = runBatch('gpp', u31);
u31.forEach((s, i) => {
  usnat31Stats.strings++;
  const ref = new GppModel31(s).toObject();
  const ours = u31Out[i];
  if (ours.error) return report('usnat31', s, [`fairbid error: ${ours.error}`]);
  if (ref.usnat.Version !== 1 || ref.usnat.SensitiveDataProcessing.length !== 16) {
    return report('usnat31', s, ['the 3.1.x encoder did not write Version 1 in the Version 2 layout']);
  }
  const kc = ref.usnat.KnownChildSensitiveDataConsents;
  if (kc[2] !== 0) usnat31Stats.knownChild3++;
  // what a decoder that picks the layout from the Version field alone (3.2.0) makes of it: the child missed
  try {
    const r320 = new GppModel(s).toObject().usnat;
    if (kc.some((v) => v !== 0) && !r320.KnownChildSensitiveDataConsents.some((v) => v !== 0)) usnat31Stats.childMissedBy320++;
  } catch (e) {
    usnat31Stats.childMissedBy320++;
  }
  const mine = {};
  for (const [name, sec] of Object.entries(ours.sections)) {
    const c = { ...sec };
    delete c.GpcSegmentIncluded;
    mine[name] = c;
  }
  const d = [];
  diff(ref, mine, 'gpp', d);
  // the summary must see the child, whatever the field shapes
  if (ours.summary.knownChild !== kc.some((v) => v !== 0)) d.push(`summary.knownChild: ${ours.summary.knownChild}`);
  if (d.length) report('usnat31', s, d);
});

console.log(`tcf: ${N_TCF} strings (vendor sets: ${stats.range} range, ${stats.bitfield} bitfield; ` +
  `${stats.restrictions} restriction groups; segments: ${stats.disclosed} disclosed, ${stats.allowed} allowed, ` +
  `${stats.publisherTC} publisher TC)`);
console.log(`gpp: ${N_GPP} strings (${JSON.stringify(gppStats)})`);
console.log(`usnat v1 in the v2 layout (@iabgpp/cmpapi 3.1.7): ${JSON.stringify(usnat31Stats)}`);
console.log(`mismatches: ${mismatches}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
process.exit(mismatches ? 1 : 0);
