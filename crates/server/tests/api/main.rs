//! API integration tests: one binary, one module per area, each test on a fresh database and a
//! real server. Set `SANYI_TEST_POSTGRES_URL` to run them against PostgreSQL.

mod audit;
mod auth;
mod consultations;
mod crawl;
mod drg;
mod helpers;
mod import;
mod insurance;
mod insurance_claims;
mod matrix;
mod medicines;
mod pages;
mod readings;
mod recognition;
mod referrals;
mod registry;
mod residents;
mod schema;
mod security;
