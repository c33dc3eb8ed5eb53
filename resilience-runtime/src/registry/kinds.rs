//! What the registry builds for each kind of the list in `settings/kinds.rs`: its map, its
//! link-time declarations, the configuration of an instance named but declared nowhere, and
//! the dispatch from a kind's name to its generic code.
//!
//! Everything the registry does by kind (its maps, adopting declarations, resolving a kind
//! named in configuration, dry runs) is generated from this list, so no code dispatches on
//! a kind's name by hand.

use std::collections::BTreeMap;

use super::family::Family;
use crate::base::named::Named;
use crate::settings::dry_run::DryRun;
use crate::settings::keys::Configurable;
use crate::settings::with_kinds;

/// A kind with its own map in the registry.
pub(crate) trait Member: Configurable {
    /// The configuration of an instance that is named but declared nowhere.
    fn undeclared_config() -> Self::Config;
    /// This kind's map.
    fn family(families: &Families) -> &Family<Self>;
}

/// A [`Member`] that attributes declare at link time and configuration addresses by name.
pub(crate) trait Addressable: Member {
    /// The configuration `declared` holds, if it is of this kind.
    fn declared(declared: &DeclaredConfig) -> Option<Self::Config>;
    /// This kind's instances in a dry run.
    fn dry_run_entries(dry_run: &mut DryRun) -> &mut BTreeMap<String, Self::Config>;
}

/// A step run with a declared configuration, for its kind (see [`visit_declared`]).
pub(crate) trait DeclarationVisitor {
    /// The step for kind `P` and its declared `config`.
    fn visit<P: Member>(self, config: P::Config);
}

/// A generic step run for one kind chosen at run time (see [`visit_addressable`]).
pub(crate) trait KindVisitor {
    /// What the step gives back.
    type Output;
    /// The step for kind `P`.
    fn visit<P: Addressable>(self) -> Self::Output;
}

macro_rules! kinds {
    (
        addressable { $($field:ident: $name:ident($kind:path) = $undeclared:expr;)* }
        run_time_only { $($other_field:ident: $other_name:ident($other:path) = $other_undeclared:expr;)* }
    ) => {
        /// The configuration a declaration declares, by kind.
        #[derive(Debug)]
        pub(crate) enum DeclaredConfig {
            $($name(<$kind as Named>::Config),)*
        }

        impl DeclaredConfig {
            /// The declared kind, as in logs and snapshots.
            pub(crate) fn kind(&self) -> &'static str {
                match self {
                    $(Self::$name(_) => <$kind as Named>::KIND,)*
                }
            }
        }

        /// One map per kind.
        #[derive(Default)]
        pub(crate) struct Families {
            $(pub(crate) $field: Family<$kind>,)*
            $(pub(crate) $other_field: Family<$other>,)*
        }

        $(
            impl Member for $kind {
                fn undeclared_config() -> Self::Config {
                    $undeclared
                }
                fn family(families: &Families) -> &Family<Self> {
                    &families.$field
                }
            }

            impl Addressable for $kind {
                fn declared(declared: &DeclaredConfig) -> Option<Self::Config> {
                    match *declared {
                        DeclaredConfig::$name(config) => Some(config),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
                fn dry_run_entries(dry_run: &mut DryRun) -> &mut BTreeMap<String, Self::Config> {
                    &mut dry_run.$field
                }
            }
        )*

        $(
            impl Member for $other {
                fn undeclared_config() -> Self::Config {
                    $other_undeclared
                }
                fn family(families: &Families) -> &Family<Self> {
                    &families.$other_field
                }
            }
        )*

        impl Families {
            /// The names in use of each kind configuration addresses.
            pub(crate) fn addressable_names(&self) -> Vec<(&'static str, Vec<&'static str>)> {
                vec![$((<$kind as Named>::KIND, self.$field.names()),)*]
            }

            /// Every kind's names, for `Debug`.
            pub(crate) fn all_names(&self) -> Vec<(&'static str, Vec<&'static str>)> {
                vec![
                    $((stringify!($field), self.$field.names()),)*
                    $((stringify!($other_field), self.$other_field.names()),)*
                ]
            }
        }

        /// Runs `visitor` for the addressable kind named `kind` (as in files and snapshots);
        /// `None` for any other name.
        pub(crate) fn visit_addressable<V: KindVisitor>(kind: &str, visitor: V) -> Option<V::Output> {
            $(
                if kind == <$kind as Named>::KIND {
                    return Some(visitor.visit::<$kind>());
                }
            )*
            None
        }

        /// Runs a visitor built by `make` for every addressable kind, in this list's order.
        pub(crate) fn visit_each_addressable<V: KindVisitor>(mut make: impl FnMut() -> V) -> Vec<V::Output> {
            vec![$(make().visit::<$kind>(),)*]
        }

        /// Runs `visitor` with the configuration `declared` holds, for its kind.
        pub(crate) fn visit_declared(declared: &DeclaredConfig, visitor: impl DeclarationVisitor) {
            match *declared {
                $(DeclaredConfig::$name(config) => visitor.visit::<$kind>(config),)*
            }
        }
    };
}

with_kinds!(kinds);
