//! The `sanyi` commands, one module per top-level command, and the helpers they share.

pub mod audit;
pub mod bench;
pub mod common;
pub mod demo;
pub mod drg;
pub mod import;
pub mod insurance;
pub mod migrate;
pub mod procurement;
pub mod serve;
pub mod settle;
pub mod tick;
pub mod user;
