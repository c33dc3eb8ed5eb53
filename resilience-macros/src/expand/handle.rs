//! The static that caches a site's registry handle.

use proc_macro2::TokenStream;
use quote::quote;

use super::config;
use super::hygiene::handle_static;
use super::name::registry_name;
use super::registered::Registered;
use super::site::{Cached, Site};
use crate::attrs::Common;

/// The handle of layer `index`'s instance, declared with `config` (when the attribute sets
/// keys) on the site's first call. A literal name with config is also declared at link time
/// (see [`config::declaration`]); a name without, recorded as adopted (see
/// [`config::adoption`]), so that a name declared nowhere is reported at startup.
pub(super) fn site_handle(
    site: &Site<'_>,
    index: usize,
    kind: Registered,
    common: &Common,
    config: Option<TokenStream>,
) -> Cached {
    let krate = site.krate;
    let static_ident = handle_static(index);
    let instance_type = kind.instance_type(krate);
    let location = quote!(::core::concat!(::core::file!(), ":", ::core::line!()));
    let declaration = match (&common.name, &config) {
        (Some(name), Some(config)) => config::declaration(krate, kind, name, config, &location),
        (Some(name), None) => config::adoption(krate, kind, name, &location),
        (None, _) => TokenStream::new(),
    };
    let items = quote! {
        static #static_ident: #krate::__private::Site<#instance_type> = #krate::__private::Site::new();
        #declaration
    };
    let name = registry_name(site, common.name.as_ref());
    let config = config.map_or_else(
        || quote!(::core::option::Option::None),
        |config| quote!(::core::option::Option::Some(#config)),
    );
    let declare = kind.declare(krate);
    let get = quote! {
        #static_ident.get_or_init(|| #declare(#name, #config, #location))
    };
    Cached { items, get }
}
