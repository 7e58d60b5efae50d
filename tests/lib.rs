//! The single integration-test binary: one module per feature, each running the real `tfboot`
//! binary in a temporary directory.

mod support;

mod apply;
mod azurerm;
mod bootstrap;
mod check;
mod cloud;
mod consul;
mod e2e;
mod ecosystem;
mod envs;
mod examples;
mod fmt;
mod gcs;
mod generate;
mod hardening;
mod iam;
mod lifecycle;
mod locks;
mod properties;
mod render;
mod templates;
mod ui;
mod validation;
