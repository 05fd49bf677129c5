//! Emit: IR to text. Rust through `quote!` and prettyplease ([`rust`]); everything else
//! (the crate manifest, its README) through strict minijinja templates ([`text`]).

pub mod rust;
pub mod text;
