//! Which inner loop runs the engine's products and exponentials: [`Kernel`], picked at run
//! time for the processor (AVX-512, AVX2 + FMA, or portable Rust).

use super::elementwise::Width;

/// Which inner loop runs the sparse products and the exponentials.
///
/// [`Kernel::detect`] picks the fastest one the processor has; the environment variable
/// `NN_CORE_KERNEL` (`portable`, `avx2`, `avx512`) overrides that choice (a kernel the
/// processor lacks is refused with a message on stderr, and the fastest one it has runs).
/// Every kernel gives the lecture's numbers (tested to 1e-12); only the speed differs.
/// [`super::FastCost::with_kernel`] picks one for one objective (what `make bench` uses to
/// compare them in the same run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Plain Rust, any processor.
    Portable,
    /// x86-64 with AVX2 and FMA (detected at run time).
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// x86-64 with AVX-512F (and AVX2, FMA): the sparse products with 8-double vectors,
    /// two rows at a time in the 32 vector registers; the exponentials 8 at a time.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Kernel {
    /// The vector width of its element-wise loops (exponentials, sigmoids).
    pub(super) fn width(self) -> Width {
        match self {
            Kernel::Portable => Width::Baseline,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => Width::Avx2,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => Width::Avx512,
        }
    }

    /// The kernel `FastCost` uses: `NN_CORE_KERNEL` if set to a kernel this processor
    /// runs, else the fastest one it runs. Read once per process.
    pub fn detect() -> Kernel {
        static CHOSEN: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
        *CHOSEN.get_or_init(|| {
            let forced = std::env::var("NN_CORE_KERNEL").ok().filter(|v| !v.is_empty());
            match forced.as_deref().map(Kernel::from_name) {
                Some(Some(k)) if k.is_supported() => k,
                Some(_) => {
                    eprintln!(
                        "nn-core: NN_CORE_KERNEL={:?} is not a kernel this processor runs (available: {}); using {}",
                        forced.unwrap_or_default(),
                        Kernel::available().iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
                        Kernel::best()
                    );
                    Kernel::best()
                }
                None => Kernel::best(),
            }
        })
    }

    /// The fastest kernel this processor runs (ignores `NN_CORE_KERNEL`).
    pub fn best() -> Kernel {
        *Kernel::available().last().expect("the portable kernel is always available")
    }

    /// Every kernel this processor runs, slowest (portable) first.
    pub fn available() -> Vec<Kernel> {
        Kernel::ALL.iter().copied().filter(|k| k.is_supported()).collect()
    }

    /// Every kernel this build has, whether or not the processor runs it.
    pub const ALL: &'static [Kernel] = &[
        Kernel::Portable,
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2Fma,
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512,
    ];

    /// Whether this processor runs the kernel (checked at run time).
    pub fn is_supported(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => Kernel::Avx2Fma.is_supported() && std::is_x86_feature_detected!("avx512f"),
        }
    }

    /// The kernel's name, as `NN_CORE_KERNEL` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Portable => "portable",
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => "avx2",
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => "avx512",
        }
    }

    /// The kernel called `name` (see [`Kernel::name`]), if this build has it.
    pub fn from_name(name: &str) -> Option<Kernel> {
        Kernel::ALL.iter().copied().find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
