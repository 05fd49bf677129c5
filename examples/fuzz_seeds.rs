//! Writes the seed inputs of the `receive` fuzz target into the directory given as the
//! first argument (used by `scripts/fuzz.sh`).

fn main() {
    let dir = std::env::args_os().nth(1).expect("usage: fuzz_seeds DIR");
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).expect("creating the seed directory");
    for (name, seed) in hookgen_conformance::fuzz::receive_seeds() {
        std::fs::write(dir.join(name), seed).expect("writing a seed");
    }
}
