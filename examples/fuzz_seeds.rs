//! Writes the seed inputs of the `receive` and `signature` fuzz targets into
//! `DIR/receive-seeds` and `DIR/signature-seeds` (used by `scripts/fuzz.sh`).

fn main() {
    let dir = std::env::args_os().nth(1).expect("usage: fuzz_seeds DIR");
    let dir = std::path::Path::new(&dir);
    for (sub, seeds) in [
        ("receive-seeds", hookgen_conformance::fuzz::receive_seeds()),
        (
            "signature-seeds",
            hookgen_conformance::fuzz::signature_seeds(),
        ),
    ] {
        let dir = dir.join(sub);
        std::fs::create_dir_all(&dir).expect("creating the seed directory");
        for (name, seed) in seeds {
            std::fs::write(dir.join(name), seed).expect("writing a seed");
        }
    }
}
