/* Prints GPP fixture strings for tests/unit/test_consent.c, encoded by @iabgpp/cmpapi (the reference encoder). */
const { GppModel } = require('@iabgpp/cmpapi');
const out = {};
function usnat(fields) { const m = new GppModel(); m.setFieldValue('usnat', 'Version', 2);
  for (const [k, v] of Object.entries(fields)) m.setFieldValue('usnat', k, v); return m.encode(); }
out.gpp_usnat_ok = usnat({SaleOptOutNotice: 1, SaleOptOut: 2, SharingOptOut: 2, TargetedAdvertisingOptOut: 2, MspaCoveredTransaction: 2});
out.gpp_usnat_sale_optout = usnat({SaleOptOutNotice: 1, SaleOptOut: 1, MspaCoveredTransaction: 2});
out.gpp_usnat_targeting_optout = usnat({TargetedAdvertisingOptOut: 1, MspaCoveredTransaction: 2});
out.gpp_usnat_child = usnat({KnownChildSensitiveDataConsents: [1, 0, 0], MspaCoveredTransaction: 2});
out.gpp_usnat_gpc = usnat({GpcSegmentIncluded: true, Gpc: true, MspaCoveredTransaction: 2});
{ const m = new GppModel(); m.setFieldValue('tcfeuv2', 'CmpId', 7); out.gpp_tcfeu_empty = m.encode(); }
console.log(JSON.stringify(out, null, 1));
