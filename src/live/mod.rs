//! The live state store: what tfboot reads and changes in the store itself rather than in files
//! (held state locks, the store's settings). Built with the `live` feature (on by default).

pub mod adopt;
pub mod aws;
pub mod azure;
pub mod doctor;
pub mod gcs;
pub mod locks;
pub mod targets;

use crate::error::Result;
use targets::{Group, Target};

/// Every held lock of one store.
pub fn list(group: &Group) -> Result<locks::Report> {
    match &group.target {
        Target::S3(s3) => aws::runtime()?.block_on(async {
            let clients = aws::clients(s3).await?;
            locks::list(&clients, s3, group).await
        }),
        Target::Gcs(g) => gcs::list(g, group),
        Target::Azure(a) => azure::list(a, group),
    }
}

/// One state of a store in detail (`key`: the S3 key, or the gcs state object's name).
pub fn show(group: &Group, key: &str) -> Result<locks::Shown> {
    match &group.target {
        Target::S3(s3) => aws::runtime()?.block_on(async {
            let clients = aws::clients(s3).await?;
            locks::show(&clients, s3, group, key).await
        }),
        Target::Gcs(g) => gcs::show(g, group, key),
        Target::Azure(a) => azure::show(a, group, key),
    }
}

/// Remove the lock on `key` only if it still holds `id`.
pub fn unlock(group: &Group, key: &str, id: &str) -> Result<locks::Unlocked> {
    match &group.target {
        Target::S3(s3) => aws::runtime()?.block_on(async {
            let clients = aws::clients(s3).await?;
            locks::unlock(&clients, s3, group, key, id).await
        }),
        Target::Gcs(g) => gcs::unlock(g, key, id),
        Target::Azure(a) => azure::unlock(a, key, id),
    }
}

/// The store's settings against what the bootstrap module promises.
pub fn doctor(group: &Group) -> Result<doctor::Checked> {
    match &group.target {
        Target::S3(s3) => aws::runtime()?.block_on(async {
            let clients = aws::clients(s3).await?;
            doctor::check_s3(&clients, s3, group).await
        }),
        Target::Gcs(g) => gcs::doctor(g, group),
        Target::Azure(a) => azure::doctor(a, group),
    }
}
