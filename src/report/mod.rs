//! Reports of trained models: plots (PNG + SVG). The claim catalogue is [`crate::catalogue`].

pub mod labels;
pub mod plot;
