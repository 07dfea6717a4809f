//! What a policy builds from its settings, built once: policy-server sends the same settings
//! document with every request to a policy.

use std::cell::RefCell;
use std::rc::Rc;

/// The value built from the last settings document seen, with that document's bytes. Declare
/// one per policy in a `thread_local!` (a guest runs single-threaded).
pub struct SettingsCache<T> {
    last: RefCell<Option<(Vec<u8>, Rc<T>)>>,
}

impl<T> Default for SettingsCache<T> {
    fn default() -> Self {
        SettingsCache {
            last: RefCell::new(None),
        }
    }
}

impl<T> SettingsCache<T> {
    /// An empty cache.
    pub const fn new() -> Self {
        SettingsCache {
            last: RefCell::new(None),
        }
    }

    /// The value for these settings bytes: the cached one when the bytes are the last ones
    /// seen, else `build`'s (then cached). A failed build is not cached.
    pub fn get<E>(
        &self,
        settings: &[u8],
        build: impl FnOnce(&[u8]) -> Result<T, E>,
    ) -> Result<Rc<T>, E> {
        if let Some((bytes, value)) = self.last.borrow().as_ref() {
            if bytes.as_slice() == settings {
                return Ok(value.clone());
            }
        }
        let value = Rc::new(build(settings)?);
        *self.last.borrow_mut() = Some((settings.to_vec(), value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_once_per_document() {
        let cache = SettingsCache::new();
        let mut builds = 0;
        let mut build = |bytes: &[u8]| {
            builds += 1;
            Ok::<_, ()>(bytes.len())
        };
        assert_eq!(*cache.get(b"{}", &mut build).unwrap(), 2);
        assert_eq!(*cache.get(b"{}", &mut build).unwrap(), 2);
        assert_eq!(*cache.get(b"{\"a\":1}", &mut build).unwrap(), 7);
        assert_eq!(*cache.get(b"{}", &mut build).unwrap(), 2);
        assert_eq!(builds, 3);
        assert!(cache.get(b"x", |_| Err::<usize, _>("bad")).is_err());
        assert_eq!(
            *cache.get(b"{}", |_| Err::<usize, &str>("unused")).unwrap(),
            2
        );
    }
}
