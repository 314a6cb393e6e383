//! Rebuilds the crate when a migration is added or changed: the migrations are embedded in the binary
//! (`embed_migrations!`), and Cargo does not otherwise notice new files in those folders.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
