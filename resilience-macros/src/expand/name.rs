//! The names a site reports: its registry name, and the fn's name for layers without one.

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

use super::hygiene::name_static;
use super::site::{Cached, Site};

/// The registry name: as written, or the fn's path (with the `Self` type for methods).
pub(super) fn registry_name(site: &Site<'_>, name: Option<&LitStr>) -> TokenStream {
    let krate = site.krate;
    let fn_name = site.fn_ident.to_string();
    let fn_name = fn_name.trim_start_matches("r#");
    match name {
        Some(name) => quote!(#name),
        None if site.plan.has_receiver => quote! {
            #krate::__private::method_name(::core::any::type_name::<Self>(), #fn_name)
        },
        None => quote!(::core::concat!(::core::module_path!(), "::", #fn_name)),
    }
}

/// The fn's name for layers without a registry instance: its path, or `Type::method`, made
/// once per site (in a static) and only when first needed.
pub(super) fn fn_name(site: &Site<'_>, index: usize) -> Cached {
    let krate = site.krate;
    let name = registry_name(site, None);
    if !site.plan.has_receiver {
        return Cached {
            items: TokenStream::new(),
            get: name,
        };
    }
    let static_ident = name_static(index);
    let items = quote! {
        static #static_ident: #krate::__private::SiteName = #krate::__private::SiteName::new();
    };
    let get = quote!(#static_ident.get_or_init(|| #name));
    Cached { items, get }
}
