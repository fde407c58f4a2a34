//! TEMP shim until the gen branch merges.
use crate::trace::TraceSink;
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Generator {
    Random,
}
pub struct ParamSpec {
    pub name: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("x")]
    Io(#[from] std::io::Error),
}
impl Generator {
    pub const ALL: [Generator; 1] = [Generator::Random];
    pub fn name(self) -> &'static str {
        "random"
    }
    pub fn from_name(_name: &str) -> Option<Generator> {
        None
    }
    pub fn description(self) -> &'static str {
        ""
    }
    pub fn params(self) -> &'static [ParamSpec] {
        &[]
    }
    pub fn generate(self, _args: &[String], _sink: &mut dyn TraceSink) -> Result<(), GenError> {
        Ok(())
    }
}
