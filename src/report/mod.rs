//! Reports of trained models: plots (PNG + SVG). The claim catalogue is [`crate::catalogue`].

pub mod plot;
