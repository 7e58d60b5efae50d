//! What `tfboot check` knows of existing `backend "azurerm"` blocks beyond the schema.

/// Arguments Terraform removed from the azurerm backend, and what replaces them.
pub const REMOVED: &[(&str, &str)] = &[
    (
        "arm_client_id",
        "was removed in Terraform 0.15: use client_id",
    ),
    (
        "arm_client_secret",
        "was removed in Terraform 0.15: use client_secret",
    ),
    (
        "arm_subscription_id",
        "was removed in Terraform 0.15: use subscription_id",
    ),
    (
        "arm_tenant_id",
        "was removed in Terraform 0.15: use tenant_id",
    ),
    (
        "use_microsoft_graph",
        "was removed in Terraform 1.3: Terraform always uses Microsoft Graph now",
    ),
];
