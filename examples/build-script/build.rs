//! Generates the `orders` module from `specs/orders.yaml` into `OUT_DIR`.

fn main() {
    if hookgen::Builder::new()
        .spec("specs/orders.yaml")
        .receiver(true)
        // The test helpers exist where `hookgen-runtime/testing` is on: in this
        // crate's tests only (a dev-dependency), never in what `cargo build` builds.
        .testing(true)
        .compile()
        .is_err()
    {
        // Each problem was printed for cargo with its file and line.
        std::process::exit(1);
    }
}
