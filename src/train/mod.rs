//! Training: the run's configuration ([`config`]), optimisers and schedules ([`optim`]), the
//! loop ([`run`]) with its per-epoch hooks ([`hooks`]), metrics ([`metrics`]) and verified,
//! crash-safe checkpoints in a locked run directory ([`checkpoint`]).

mod batches;
pub mod checkpoint;
pub mod config;
pub mod devices;
pub mod hooks;
pub mod metrics;
pub mod optim;
pub mod restore;
pub mod run;

pub use batches::batch_input;
pub use checkpoint::{CheckpointState, RunDir};
pub use config::{Overrides, TrainConfig};
pub use devices::{device, DeviceChoice, OpenedDevice};
pub use hooks::{CollapseWarning, EpochEnd, EpochHook, ProgressLog};
pub use metrics::EpochMetrics;
pub use optim::{OptimConfig, OptimKind, ScheduleKind};
pub use restore::{restore, Restored};
pub use run::{train, train_on, RunOptions, Trained};
