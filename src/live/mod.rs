//! The live state store: what tfboot reads and changes in the store itself rather than in files
//! (held state locks today). Built with the `live` feature (on by default).

pub mod aws;
pub mod locks;
