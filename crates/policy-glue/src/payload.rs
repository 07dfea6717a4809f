//! [`Admission`]: the `validate` payload a Kubewarden host sends a policy,
//! `{"request": {…}, "settings": {…}}`, read no further than the verdict needs.
//!
//! policy-server serialises the request's members in one of two orders: sorted by name (what
//! `serde_json::json!` builds: `dryRun, kind, name, namespace, object, oldObject, operation,
//! options, … uid, userInfo`) or in the order of policy-evaluator's `AdmissionRequest` type (all
//! of `uid … userInfo` before `object`, then `oldObject, dryRun, options`). `kind`, `name` and
//! `namespace` precede the objects in both; `operation` and `userInfo` follow them when sorted.
//! So the request is read from its start up to the objects, and, when a member was not found
//! there, from its end backwards to the first member after the objects (`operation` when sorted,
//! `dryRun` in the type's order): the objects, most of the bytes, are read only by a policy that
//! asks for them. Settings are read from the payload's
//! end. A payload of another shape (settings first, say) is located in one forward pass and then
//! read the same way; a policy never knows which end a member came from.
//!
//! A member not read from either end is absent: in both orders nothing but the objects lies
//! between the two ends read. A request in neither order (`operation` or `userInfo` not found at
//! either end) is walked forwards across its objects as well.

use json_scan::{
    member_before, skip_whitespace_back, Members, PickedMembers, Raw, ScanError, Split, ValueAt,
};

/// `object` or `oldObject`, with its members when it was split while read.
#[derive(Debug, Clone)]
pub struct SplitObject<'a> {
    /// The whole value.
    pub raw: Raw<'a>,
    /// Its members, when it is an object.
    pub split: Option<Split<'a>>,
}

/// A `validate` payload. The request members a policy names are read lazily: [`Admission::get`]
/// reads from the request's end only when a member was not found before the objects.
#[derive(Debug, Clone)]
pub struct Admission<'a, 'n, const N: usize> {
    settings: Option<Raw<'a>>,
    /// The payload up to the request's closing brace, which is its last byte.
    request: &'a [u8],
    header: PickedMembers<'a, 'n, N>,
    /// The forward walk, at the first member not read from the start (`object` or `oldObject`).
    cursor: Members<'a>,
    /// The `,` before the first member read from the end, or the request's closing brace.
    unread_end: usize,
    /// Whether the members after the objects were read (from the end, or by a forward walk).
    tail_read: bool,
    operation_seen: bool,
    user_info_seen: bool,
    objects: Option<Objects<'a>>,
}

/// The objects, once walked.
#[derive(Debug, Clone, Default)]
struct Objects<'a> {
    object: Option<SplitObject<'a>>,
    old_object: Option<SplitObject<'a>>,
}

fn is_object_member(name: &str) -> bool {
    name == "object" || name == "oldObject"
}

fn offset(outer: &[u8], inner: &[u8]) -> usize {
    inner.as_ptr() as usize - outer.as_ptr() as usize
}

/// Where the request is (its opening and closing braces) and the settings (`None` when absent
/// or `null`).
fn locate(bytes: &[u8]) -> Result<(usize, usize, Option<Raw<'_>>), ScanError> {
    if let Some(found) = locate_at_ends(bytes)? {
        return Ok(found);
    }
    let mut members = Raw(bytes).members()?;
    let mut picked = PickedMembers::new(["request", "settings"]);
    while let Some((name, start)) = members.next_key()? {
        let value = members.value(start)?;
        picked.record(&name, value)?;
    }
    let [request, settings] = picked.found;
    let request = request.ok_or(ScanError::MissingMember("request"))?;
    if !request.is_object() {
        return Err(ScanError::NotAnObject);
    }
    let start = offset(bytes, request.0);
    Ok((start, start + request.0.len() - 1, settings))
}

/// [`locate`] for policy-server's layout, `request` first and `settings` (if any) last, without
/// reading the request: `None` for another layout.
fn locate_at_ends(bytes: &[u8]) -> Result<Option<(usize, usize, Option<Raw<'_>>)>, ScanError> {
    let mut members = Raw(bytes).members()?;
    let request_start = match members.next_key()? {
        Some((name, start)) if name == "request" && bytes.get(start) == Some(&b'{') => start,
        _ => return Ok(None),
    };
    let Some((name, value, before)) = member_before(bytes, bytes.len() - 1)? else {
        return Ok(None);
    };
    let (settings, request_end) = match name.as_ref() {
        "settings" => (
            Some(value).filter(|raw| !raw.is_null()),
            skip_whitespace_back(bytes, before).wrapping_sub(1),
        ),
        // The request is the last member too: it ends where its value ends.
        "request" => (None, offset(bytes, value.0) + value.0.len() - 1),
        _ => return Ok(None),
    };
    if request_end <= request_start || bytes.get(request_end) != Some(&b'}') {
        return Ok(None);
    }
    Ok(Some((request_start, request_end, settings)))
}

impl<'a, 'n, const N: usize> Admission<'a, 'n, N> {
    /// Reads the settings and the request's members before its objects; `names` are the
    /// request members the policy may ask [`Admission::get`] for. A member named twice is an
    /// error.
    pub fn read(payload: &'a [u8], names: [&'n str; N]) -> Result<Self, ScanError> {
        let bytes = Raw::document(payload)?.0;
        let (request_start, request_end, settings) = locate(bytes)?;
        let request = &bytes[..=request_end];
        let mut admission = Admission {
            settings,
            request,
            header: PickedMembers::new(names),
            cursor: Members::new(request, request_start),
            unread_end: request_end,
            tail_read: false,
            operation_seen: false,
            user_info_seen: false,
            objects: None,
        };
        loop {
            let before = admission.cursor.clone();
            let Some((name, start)) = admission.cursor.next_key()? else {
                // No objects: the whole request is read.
                admission.tail_read = true;
                admission.objects = Some(Objects::default());
                break;
            };
            if is_object_member(&name) {
                admission.cursor = before;
                break;
            }
            let value = admission.cursor.value(start)?;
            admission.record(&name, value)?;
        }
        Ok(admission)
    }

    /// The payload's settings; `None` when absent or `null`.
    pub fn settings(&self) -> Option<Raw<'a>> {
        self.settings
    }

    /// The request member `name` (one of the names given to [`Admission::read`]); `None` when
    /// absent or `null`.
    pub fn get(&mut self, name: &str) -> Result<Option<Raw<'a>>, ScanError> {
        let Some(index) = self.header.index(name) else {
            debug_assert!(false, "{name} was not named when the payload was read");
            return Ok(None);
        };
        if !self.header.seen(index) {
            self.read_tail()?;
        }
        Ok(self.header.found[index])
    }

    /// The request's `object`, found without reading it: a policy reads only what it follows.
    /// `None` when absent or `null`.
    pub fn object(&mut self) -> Result<Option<ValueAt<'a>>, ScanError> {
        if self.objects.is_none() {
            let mut peek = self.cursor.clone();
            if let Some((name, start)) = peek.next_key()? {
                if name == "object" && self.cursor.position() <= self.unread_end {
                    let object = peek.value_at(start);
                    return Ok(Some(object).filter(|value| !value.is_null()));
                }
            }
        }
        Ok(self.walk(false)?.object.as_ref().map(|o| o.raw.into()))
    }

    /// The request's `oldObject`; `None` when absent or `null`.
    pub fn old_object(&mut self) -> Result<Option<Raw<'a>>, ScanError> {
        Ok(self.walk(false)?.old_object.as_ref().map(|o| o.raw))
    }

    /// `object` and `oldObject`, each split into its members while it is read when it is an
    /// object; `oldObject` only up to its last difference from `object` (see
    /// [`Raw::split_like`]): an update is mostly bytes that did not change.
    pub fn split_objects(
        &mut self,
    ) -> Result<(Option<SplitObject<'a>>, Option<SplitObject<'a>>), ScanError> {
        let objects = self.walk(true)?.clone();
        let split = |object: Option<SplitObject<'a>>| -> Result<_, ScanError> {
            object
                .map(|mut o| {
                    if o.split.is_none() && o.raw.is_object() {
                        o.split = Some(o.raw.split()?);
                    }
                    Ok(o)
                })
                .transpose()
        };
        Ok((split(objects.object)?, split(objects.old_object)?))
    }

    fn record(&mut self, name: &str, value: Raw<'a>) -> Result<(), ScanError> {
        self.operation_seen |= name == "operation";
        self.user_info_seen |= name == "userInfo";
        self.header.record(name, value)
    }

    /// Reads the request backwards from its end up to the first member after the objects:
    /// `operation` when the members are sorted by name, `dryRun` in the type's order (where
    /// `operation` came before the objects). Stops at an object member in any case; with another
    /// member order, walks the objects forwards too.
    fn read_tail(&mut self) -> Result<(), ScanError> {
        if std::mem::replace(&mut self.tail_read, true) {
            return Ok(());
        }
        let first_after_objects = if self.operation_seen {
            "dryRun"
        } else {
            "operation"
        };
        let mut end = self.unread_end;
        while let Some((name, value, before)) = member_before(self.request, end)? {
            if before < self.cursor.position() || is_object_member(&name) {
                break;
            }
            self.record(&name, value)?;
            end = before;
            if name == first_after_objects {
                break;
            }
        }
        self.unread_end = end;
        if !(self.operation_seen && self.user_info_seen) {
            // Not one of policy-server's orders: members may sit between the objects.
            self.walk(false)?;
        }
        Ok(())
    }

    /// Walks forwards from the objects up to what was read from the end (all of the request
    /// when nothing was), recording every member named.
    fn walk(&mut self, split: bool) -> Result<&Objects<'a>, ScanError> {
        if self.objects.is_none() {
            let mut objects = Objects::default();
            while self.cursor.position() <= self.unread_end {
                let Some((name, start)) = self.cursor.next_key()? else {
                    break;
                };
                let (slot, like) = match name.as_ref() {
                    "object" => (&mut objects.object, None),
                    "oldObject" => (
                        &mut objects.old_object,
                        objects.object.as_ref().and_then(|o| o.split.as_ref()),
                    ),
                    _ => {
                        let value = self.cursor.value(start)?;
                        self.record(&name, value)?;
                        continue;
                    }
                };
                let (raw, split) = if split {
                    self.cursor.split_value(start, like)?
                } else {
                    (self.cursor.value(start)?, None)
                };
                if slot.replace(SplitObject { raw, split }).is_some() {
                    return Err(ScanError::DuplicateKey(name.into_owned()));
                }
            }
            for object in [&mut objects.object, &mut objects.old_object] {
                if object.as_ref().is_some_and(|o| o.raw.is_null()) {
                    *object = None;
                }
            }
            // The walk read up to what was read from the end, or to the closing brace.
            self.tail_read = true;
            self.objects = Some(objects);
        }
        Ok(self.objects.as_ref().expect("walked"))
    }
}

#[cfg(test)]
mod tests;
