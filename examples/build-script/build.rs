//! Generates the `orders` module from `specs/orders.yaml` into `OUT_DIR`.

fn main() {
    if hookgen::Builder::new()
        .spec("specs/orders.yaml")
        .receiver(true)
        .compile()
        .is_err()
    {
        // Each problem was printed for cargo with its file and line.
        std::process::exit(1);
    }
}
