//! An owned event in two allocations, for buffers that hold events a while (`replay`'s reorder
//! window). [`Event::into_owned`] gives each string its own allocation (five for a typical call:
//! model, operation, key id, request id, message) and moves a struct of a few hundred bytes
//! through the buffer; packed, the strings share one buffer and the buffer holds a pointer.

use std::borrow::Cow;
use std::ops::Range;

use super::{CallEvent, Event};

/// An owned [`Event`]: [`PackedEvent::new`] packs it, [`PackedEvent::event`] lends it back.
#[derive(Debug)]
pub struct PackedEvent(Box<Packed>);

#[derive(Debug)]
enum Packed {
    Call(PackedCall),
    /// Rotations and balances: rare, kept as they are.
    Other(Event<'static>),
}

/// The call with its strings taken out into `text`.
#[derive(Debug)]
struct PackedCall {
    text: String,
    strings: Strings<Range<usize>>,
    /// Every other field (its strings are `None` here).
    rest: CallEvent<'static>,
}

/// The string fields of a call, in one place so packing and unpacking cannot disagree on them.
#[derive(Clone, Debug)]
struct Strings<T> {
    error_type: Option<T>,
    model: Option<T>,
    operation: Option<T>,
    key_id: Option<T>,
    request_id: Option<T>,
    message: Option<T>,
}

impl<T> Strings<T> {
    fn map<U>(self, mut f: impl FnMut(T) -> U) -> Strings<U> {
        Strings {
            error_type: self.error_type.map(&mut f),
            model: self.model.map(&mut f),
            operation: self.operation.map(&mut f),
            key_id: self.key_id.map(&mut f),
            request_id: self.request_id.map(&mut f),
            message: self.message.map(&mut f),
        }
    }
}

impl PackedEvent {
    pub fn new(event: Event<'_>) -> PackedEvent {
        PackedEvent(Box::new(match event {
            Event::Call(call) => Packed::Call(PackedCall::new(call)),
            other => Packed::Other(other.into_owned()),
        }))
    }

    /// Packs `event` as [`PackedEvent::new`] does, into this pack's allocations (its box and,
    /// for a call, its text buffer): a replay reuses the packs of events it has evaluated, so
    /// holding a line costs no allocation.
    pub fn refill(&mut self, event: Event<'_>) {
        match (&mut *self.0, event) {
            (Packed::Call(packed), Event::Call(call)) => packed.repack(call),
            (slot, Event::Call(call)) => *slot = Packed::Call(PackedCall::new(call)),
            (slot, other) => *slot = Packed::Other(other.into_owned()),
        }
    }

    /// Bytes its text buffer holds (a pool of packs keeps small ones only).
    pub fn capacity(&self) -> usize {
        match &*self.0 {
            Packed::Call(call) => call.text.capacity(),
            Packed::Other(_) => 0,
        }
    }

    /// The event's time (without lending the whole event).
    pub fn ts(&self) -> time::OffsetDateTime {
        match &*self.0 {
            Packed::Call(call) => call.rest.ts,
            Packed::Other(event) => event.ts(),
        }
    }

    /// Whether it is a call (not a rotation or a balance).
    pub fn is_call(&self) -> bool {
        matches!(&*self.0, Packed::Call(_))
    }

    /// Whether it is a key rotation.
    pub fn is_rotation(&self) -> bool {
        matches!(&*self.0, Packed::Other(Event::KeyRotated(_)))
    }

    /// The event, borrowing its strings from the pack.
    pub fn event(&self) -> Event<'_> {
        match &*self.0 {
            Packed::Call(call) => Event::Call(call.call()),
            Packed::Other(event) => event.clone(),
        }
    }
}

impl PackedCall {
    fn new(call: CallEvent<'_>) -> PackedCall {
        let mut packed = PackedCall {
            text: String::new(),
            strings: Strings {
                error_type: None,
                model: None,
                operation: None,
                key_id: None,
                request_id: None,
                message: None,
            },
            // Every field is overwritten by `repack`.
            rest: CallEvent::new(call.ts, None, None),
        };
        packed.repack(call);
        packed
    }

    /// Holds `call` instead of what it held: its strings copied into `text` (emptied, its
    /// allocation kept), every other field written in place (building a new `PackedCall` and
    /// moving it in copied its few hundred bytes).
    fn repack(&mut self, call: CallEvent<'_>) {
        // Every field is named (no `..`): a field added to `CallEvent` must be placed here.
        let CallEvent {
            ts,
            status,
            error_type,
            class,
            attempts,
            latency_ms,
            model,
            operation,
            key_id,
            request_id,
            message,
            provider,
            usage,
            ttft_ms,
            stream,
            ratelimit,
        } = call;
        let strings = Strings {
            error_type,
            model,
            operation,
            key_id,
            request_id,
            message,
        };
        let len = [
            &strings.error_type,
            &strings.model,
            &strings.operation,
            &strings.key_id,
            &strings.request_id,
            &strings.message,
        ]
        .iter()
        .map(|s| s.as_ref().map_or(0, |s| s.len()))
        .sum();
        let text = &mut self.text;
        text.clear();
        text.reserve(len);
        self.strings = strings.map(|s: Cow<'_, str>| {
            let start = text.len();
            text.push_str(&s);
            start..text.len()
        });
        // The strings of `rest` stay `None`; they live in `text`.
        let rest = &mut self.rest;
        rest.ts = ts;
        rest.status = status;
        rest.class = class;
        rest.attempts = attempts;
        rest.latency_ms = latency_ms;
        rest.provider = provider;
        rest.usage = usage;
        rest.ttft_ms = ttft_ms;
        rest.stream = stream;
        rest.ratelimit = ratelimit;
    }

    fn call(&self) -> CallEvent<'_> {
        let Strings {
            error_type,
            model,
            operation,
            key_id,
            request_id,
            message,
        } = self
            .strings
            .clone()
            .map(|range| Cow::Borrowed(&self.text[range]));
        // Field by field rather than `..self.rest.clone()`: the clone would test each of the
        // six `None` strings, on every replayed line.
        let rest = &self.rest;
        CallEvent {
            ts: rest.ts,
            status: rest.status,
            error_type,
            class: rest.class,
            attempts: rest.attempts,
            latency_ms: rest.latency_ms,
            model,
            operation,
            key_id,
            request_id,
            message,
            provider: rest.provider,
            usage: rest.usage,
            ttft_ms: rest.ttft_ms,
            stream: rest.stream,
            ratelimit: rest.ratelimit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{parse_line, CallEvent};

    fn round_trip(line: &str) {
        let event = parse_line(line, 1).expect("valid line");
        let packed = PackedEvent::new(event.clone());
        assert_eq!(packed.event(), event, "{line}");
        assert_eq!(packed.ts(), event.ts());
        assert_eq!(packed.is_call(), matches!(event, Event::Call(_)));
        assert_eq!(packed.is_rotation(), matches!(event, Event::KeyRotated(_)));
    }

    #[test]
    fn every_field_of_every_kind_of_line_comes_back() {
        round_trip(
            r#"{"ts":"2026-11-20T08:00:00.007Z","status":529,"error_type":"overloaded_error","attempts":3,"latency_ms":812.5,"model":"claude-sonnet-4-6","operation":"messages","key_id":"k-52e6b438","request_id":"req_011CSHoEeqs5C35K2UUqR7Fy","message":"Overloaded","provider":"aws.bedrock","input_tokens":10,"output_tokens":5,"cache_read_input_tokens":3,"cache_creation_input_tokens":2,"ttft_ms":31.5,"stream":true}"#,
        );
        // Escaped strings (owned after parsing), empty strings, absent fields.
        round_trip(
            r#"{"ts":"2026-11-20T08:00:00Z","status":400,"error_type":"","message":"a \"quoted\" é\n","model":"m"}"#,
        );
        round_trip(r#"{"ts":"2026-11-20T08:00:00Z","status":null}"#);
        round_trip(r#"{"ts":"2026-11-20T09:00:00Z","event":"key_rotated","key_id":"k-0f3a9c21"}"#);
        round_trip(r#"{"ts":"2026-11-20T10:00:00Z","event":"credit_balance","balance_usd":250.0}"#);
    }

    /// A pack refilled with any kind of event lends back that event, whatever it held before
    /// (a longer or shorter call, a rotation, a balance).
    #[test]
    fn a_refilled_pack_holds_the_new_event_only() {
        let lines = [
            r#"{"ts":"2026-11-20T08:00:00.007Z","status":529,"error_type":"overloaded_error","attempts":3,"latency_ms":812.5,"model":"claude-sonnet-4-6","operation":"messages","key_id":"k-52e6b438","request_id":"req_011CSHoEeqs5C35K2UUqR7Fy","message":"Overloaded","input_tokens":10,"stream":true}"#,
            r#"{"ts":"2026-11-20T08:00:01Z","status":200,"model":"m"}"#,
            r#"{"ts":"2026-11-20T09:00:00Z","event":"key_rotated","key_id":"k-0f3a9c21"}"#,
            r#"{"ts":"2026-11-20T08:00:02Z","status":400,"message":"a \"quoted\" é"}"#,
            r#"{"ts":"2026-11-20T10:00:00Z","event":"credit_balance","balance_usd":250.0}"#,
            r#"{"ts":"2026-11-20T08:00:00.007Z","status":529,"error_type":"overloaded_error","model":"claude-sonnet-4-6","key_id":"k-52e6b438"}"#,
        ];
        let mut pack = PackedEvent::new(parse_line(lines[0], 1).expect("valid line"));
        for line in lines.iter().cycle().skip(1).take(12) {
            let event = parse_line(line, 1).expect("valid line");
            pack.refill(event.clone());
            assert_eq!(pack.event(), event, "{line}");
            assert_eq!(pack.ts(), event.ts());
            assert_eq!(pack.is_call(), matches!(event, Event::Call(_)));
            assert_eq!(pack.is_rotation(), matches!(event, Event::KeyRotated(_)));
        }
    }

    #[test]
    fn a_call_built_by_hand_keeps_its_class_and_strings() {
        let at = time::macros::datetime!(2026-11-20 08:00 UTC);
        let call = CallEvent::new(at, Some(400), Some("invalid_request_error"))
            .with_message("Your credit balance is too low");
        let packed = PackedEvent::new(Event::Call(call.clone()));
        assert_eq!(packed.event(), Event::Call(call));
    }
}
