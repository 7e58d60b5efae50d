//! tfboot: scaffold, generate and validate Terraform remote-state backends.
//!
//! No panics reachable from input: unwrap, expect, panic and slice indexing are denied outside tests.
//!
//! Data flows one way: `cli` → `config` (typed, validated) → `model` (what to build) → `render`
//! (tera templates, HCL-escaped, fmt-canonical) → `write` (plan, then atomic writes).

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo
    )
)]

pub mod apply;
pub mod backend;
pub mod check;
pub mod cli;
pub mod config;
pub mod deadline;
pub mod discover;
pub mod error;
pub mod generate;
pub mod hclfmt;
pub mod iam;
#[cfg(feature = "live")]
pub mod live;
pub mod model;
pub mod progress;
pub mod reinit;
pub mod render;
pub mod templates;
pub mod validate;
pub mod write;

pub use error::{Error, Result};
