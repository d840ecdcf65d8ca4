//! Advantage estimators.
