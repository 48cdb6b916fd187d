//! What the reader chose on the dashboard, carried in its address so that every choice works
//! without JavaScript: the charts' window (`?window=`), the sample type (`?type=`) and one
//! request's samples (`?request=`).

use crate::monitoring::OpType;

/// The time the charts cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Window {
    /// 15 one-minute slots.
    FifteenMinutes,
    /// 60 one-minute slots (the default).
    #[default]
    Hour,
    /// 72 five-minute slots.
    SixHours,
    /// 72 twenty-minute slots.
    Day,
}

impl Window {
    /// Every window, shortest first.
    pub const ALL: [Window; 4] = [
        Window::FifteenMinutes,
        Window::Hour,
        Window::SixHours,
        Window::Day,
    ];

    /// The window named `value` in an address: `15m`, `1h`, `6h` or `24h`.
    pub fn parse(value: &str) -> Option<Window> {
        Window::ALL.into_iter().find(|w| w.as_str() == value)
    }

    /// Its name in an address.
    pub fn as_str(self) -> &'static str {
        match self {
            Window::FifteenMinutes => "15m",
            Window::Hour => "1h",
            Window::SixHours => "6h",
            Window::Day => "24h",
        }
    }

    /// Its name on a link: `15 min`, `1 h` ….
    pub fn label(self) -> &'static str {
        match self {
            Window::FifteenMinutes => "15 min",
            Window::Hour => "1 h",
            Window::SixHours => "6 h",
            Window::Day => "24 h",
        }
    }

    /// As a phrase: `the last hour`.
    pub fn phrase(self) -> &'static str {
        match self {
            Window::FifteenMinutes => "the last 15 minutes",
            Window::Hour => "the last hour",
            Window::SixHours => "the last 6 hours",
            Window::Day => "the last 24 hours",
        }
    }

    /// Minutes per slot.
    pub fn slot_minutes(self) -> i64 {
        match self {
            Window::FifteenMinutes | Window::Hour => 1,
            Window::SixHours => 5,
            Window::Day => 20,
        }
    }

    /// Slots on the axis.
    pub fn slots(self) -> usize {
        match self {
            Window::FifteenMinutes => 15,
            Window::Hour => 60,
            Window::SixHours | Window::Day => 72,
        }
    }

    /// Minutes between time labels.
    pub fn tick_minutes(self) -> i64 {
        match self {
            Window::FifteenMinutes => 5,
            Window::Hour => 15,
            Window::SixHours => 120,
            Window::Day => 360,
        }
    }
}

/// The sample type named `value` in an address: `http`, `database`, `render` or `business`.
pub fn parse_type(value: &str) -> Option<OpType> {
    OpType::ALL.into_iter().find(|t| t.as_str() == value)
}

/// The reader's choices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The charts' window.
    pub window: Window,
    /// Only samples of this type in the recent list; all when `None`.
    pub kind: Option<OpType>,
    /// Show every kept sample of this request.
    pub request: Option<String>,
}

impl Options {
    /// The dashboard's address for these choices (defaults left out).
    pub fn href(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if self.window != Window::default() {
            query.append_pair("window", self.window.as_str());
        }
        if let Some(kind) = self.kind {
            query.append_pair("type", kind.as_str());
        }
        if let Some(request) = &self.request {
            query.append_pair("request", request);
        }
        let query = query.finish();
        if query.is_empty() {
            "/admin/metrics".to_owned()
        } else {
            format!("/admin/metrics?{query}")
        }
    }

    /// The same choices with another window.
    pub fn with_window(&self, window: Window) -> Options {
        Options {
            window,
            ..self.clone()
        }
    }

    /// The same window with another sample type and no request.
    pub fn with_kind(&self, kind: Option<OpType>) -> Options {
        Options {
            window: self.window,
            kind,
            request: None,
        }
    }

    /// The same window showing one request's samples.
    pub fn with_request(&self, request: &str) -> Options {
        Options {
            window: self.window,
            kind: None,
            request: Some(request.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_carry_only_what_differs_from_the_defaults() {
        let options = Options::default();
        assert_eq!(options.href(), "/admin/metrics");
        let six = options.with_window(Window::SixHours);
        assert_eq!(six.href(), "/admin/metrics?window=6h");
        assert_eq!(
            six.with_kind(Some(OpType::Database)).href(),
            "/admin/metrics?window=6h&type=database"
        );
        assert_eq!(
            six.with_request("a b&c").href(),
            "/admin/metrics?window=6h&request=a+b%26c"
        );
        assert_eq!(Window::parse("24h"), Some(Window::Day));
        assert_eq!(Window::parse("2d"), None);
        assert_eq!(parse_type("render"), Some(OpType::Render));
        assert_eq!(parse_type("HTTP"), None);
    }
}
