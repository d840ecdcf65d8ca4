//! The `.pipe` language: parse (pest), resolve, diagnose. Not built yet.
