// Package catalog is the defence model of mamori as data: the Japanese
// government's targeted-attack defence model (attack phases, analysis
// perspectives, incident handling, containment) and the J-CRAT rescue
// team's recommendations, in English and Japanese side by side.
//
// The data lives in YAML files under catalog/data, embedded in the binary.
// Load parses and validates them once and returns an immutable *Catalog
// that every part of mamori shares:
//
//   - detect names its alerts by Rule id ("M-DDNS") and takes a rule's
//     perspective, basis, phase, ATT&CK techniques and default severity from
//     Catalog.Rule; matching rules read their shipped lists with
//     Catalog.List (ListDynamicDNS, ListTrustedSites) and DomainSet.Match;
//     Catalog.ServiceOf names the well-known services machines contact on
//     a timer by design (NTP, public resolvers, OS and antivirus updates,
//     certificate revocation, connectivity checks), so that a rule knows
//     them without counting how many endpoints reach them.
//   - the console shows titles, descriptions and "check first" hints in the
//     user's language with Text.In, the attack phases with Catalog.Phase.
//   - the incident checklist walks HandlingPhases × Roles through
//     Catalog.Part; Action ids ("C.it-admin.preserve") are stable, so an
//     incident can record which were done.
//   - the containment picker lists Catalog.Applicable for the kinds of
//     values a selection offers (an address, a user, a domain) and shows
//     each Measure's C/I/A protection, availability cost, evidence effect,
//     reversibility and rationale before anything runs; Measure.Expand turns
//     an actuator example into concrete commands with checked values.
//   - evidence export follows the Objectives (BeforeContainment first).
//
// All ids are stable: rename nothing, add new entries instead. Validation
// (in Parse, and so in Load and in the tests) requires every id to be
// unique and every reference to exist, every text in both languages, every
// rule and measure to have all its fields and ratings, phases 1–6,
// handling phases A–G × the six roles, and reports each problem as a
// *ValidationError naming the file, the entry and the field.
package catalog
