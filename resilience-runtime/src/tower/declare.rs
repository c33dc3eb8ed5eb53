//! How a layer gets its registry instance: declared (or adopted) once, when the layer is
//! built, and kept as a `'static` reference.
//!
//! A response future has to own what it holds, so a future that carries a breaker's or a
//! bulkhead's permit across awaits needs the instance for `'static`. Registry instances are
//! never removed (the process's registry lives as long as the process, and a test scope's is
//! kept after the scope), so each instance is pinned once, the first time a layer names it,
//! and every later layer of that name gets the same reference: no `Arc` clone, and so no
//! shared reference count, on any call.

use std::any::Any;
use std::collections::HashMap;
use std::panic::Location;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

/// The instance `declare` returns, pinned for the rest of the process. `declare` gets the
/// location to declare it at: `layer` and the caller's `file:line`, which the registry shows
/// in conflicts and in the warning about a name declared nowhere.
#[track_caller]
pub(super) fn declared<P: Send + Sync + 'static>(
    layer: &'static str,
    declare: impl FnOnce(&'static str) -> Arc<P>,
) -> &'static P {
    let instance = declare(location(layer, Location::caller()));
    pin(instance)
}

/// `instance` for `'static`, pinned on its first visit.
fn pin<P: Send + Sync + 'static>(instance: Arc<P>) -> &'static P {
    // Keyed by address: a pinned instance is never freed, so its address is never reused.
    let address = Arc::as_ptr(&instance).addr();
    let mut pinned = lock(&PINNED);
    if let Some(found) = pinned
        .get(&address)
        .and_then(|found| found.downcast_ref::<Arc<P>>())
    {
        return found;
    }
    let kept: &'static Arc<P> = Box::leak(Box::new(instance));
    pinned.insert(address, kept);
    kept
}

/// `layer at file:line`, made once per place in the code that builds a layer.
fn location(layer: &'static str, at: &'static Location<'static>) -> &'static str {
    let key = (layer, at.file(), at.line(), at.column());
    lock(&LOCATIONS).entry(key).or_insert_with(|| {
        Box::leak(format!("{layer} at {}:{}", at.file(), at.line()).into_boxed_str())
    })
}

/// Instances by address, each an `Arc` of its kind.
type Pinned = HashMap<usize, &'static (dyn Any + Send + Sync)>;
static PINNED: OnceLock<Mutex<Pinned>> = OnceLock::new();

/// Locations by layer and place in the code.
type Locations = HashMap<(&'static str, &'static str, u32, u32), &'static str>;
static LOCATIONS: OnceLock<Mutex<Locations>> = OnceLock::new();

fn lock<T: Default>(map: &'static OnceLock<Mutex<T>>) -> MutexGuard<'static, T> {
    // Nothing panics while a guard is held; a poisoned lock still holds consistent data.
    map.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_is_pinned_once() {
        let instance = Arc::new(7_u32);
        let first = pin(Arc::clone(&instance));
        let second = pin(Arc::clone(&instance));
        assert!(std::ptr::eq(first, second));
        assert!(std::ptr::eq(first, &*instance));
        // The two clones handed in: one kept, one dropped.
        assert_eq!(Arc::strong_count(&instance), 2);
    }

    #[test]
    fn locations_name_the_layer_and_the_caller() {
        let at = Location::caller();
        let location = location("tower::TestLayer", at);
        assert_eq!(
            location,
            format!("tower::TestLayer at {}:{}", at.file(), at.line())
        );
        assert!(std::ptr::eq(
            location,
            super::location("tower::TestLayer", at)
        ));
    }
}
