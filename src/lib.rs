//! tfboot: scaffold, generate and validate Terraform remote-state backends.
//!
//! Data flows one way: `cli` → `config` (typed, validated) → `model` (what to build) → `render`
//! (tera templates, HCL-escaped, fmt-canonical) → `write` (plan, then atomic writes).

pub mod apply;
pub mod check;
pub mod cli;
pub mod config;
pub mod discover;
pub mod error;
pub mod generate;
pub mod model;
pub mod render;
pub mod validate;
pub mod write;

pub use error::{Error, Result};
