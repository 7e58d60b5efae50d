//! The live state store: what tfboot reads and changes in the store itself rather than in files
//! (held state locks, the store's settings). Built with the `live` feature (on by default).

pub mod aws;
pub mod doctor;
pub mod locks;
pub mod targets;
