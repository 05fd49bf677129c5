//! How many of GitHub's real examples each decodes into a specific type.

use hookgen_compare_octocrab::{deliveries, hookgen, octocrab};

#[test]
fn decoded_counts() {
    let Some(deliveries) = deliveries() else {
        eprintln!("SKIPPED: no GitHub examples (set HOOKGEN_CORPUS)");
        return;
    };
    let total = deliveries.len();
    let by_hookgen = deliveries.iter().filter(|d| hookgen(d).is_some()).count();
    let by_octocrab = deliveries.iter().filter(|d| octocrab(d).is_some()).count();
    let mut only_octocrab: Vec<String> = deliveries
        .iter()
        .filter(|d| hookgen(d).is_none() && octocrab(d).is_some())
        .map(|d| format!("{} {}", d.event, d.action.as_deref().unwrap_or("-")))
        .collect();
    only_octocrab.dedup();
    let mut only_hookgen: Vec<String> = deliveries
        .iter()
        .filter(|d| hookgen(d).is_some() && octocrab(d).is_none())
        .map(|d| format!("{} {}", d.event, d.action.as_deref().unwrap_or("-")))
        .collect();
    only_hookgen.dedup();
    eprintln!("of {total} GitHub examples: Hookgen decodes {by_hookgen}, octocrab {by_octocrab}");
    eprintln!("decoded by octocrab only: {only_octocrab:?}");
    eprintln!("decoded by Hookgen only: {only_hookgen:?}");
    assert!(by_hookgen > 0 && by_octocrab > 0);
}
