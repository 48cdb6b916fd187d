//! Micropub conformance suite.
