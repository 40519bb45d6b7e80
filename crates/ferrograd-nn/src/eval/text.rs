//! Sequence metrics: BLEU (Papineni et al. 2002, as the course notes define it) and perplexity.

use std::collections::HashMap;

use ferrograd_core::{Error, Result};

/// How BLEU's brevity penalty measures the reference length `r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefLength {
    /// Per candidate, the reference length closest to the candidate's (ties: the shorter), summed
    /// over the corpus: Papineni's "best match length", as NLTK and sacreBLEU.
    #[default]
    Closest,
    /// The average reference length of each candidate, summed (the course notes' wording).
    Average,
}

/// Options of [`bleu`].
#[derive(Debug, Clone, PartialEq)]
pub struct BleuOptions {
    /// Largest n-gram order (default 4).
    pub max_n: usize,
    /// Reference length for the brevity penalty.
    pub ref_length: RefLength,
    /// Added to the clipped count and the total of an order with no match (0 = none, so any
    /// order without a match makes BLEU 0, as the original definition).
    pub smoothing: f64,
}

impl Default for BleuOptions {
    fn default() -> Self {
        BleuOptions {
            max_n: 4,
            ref_length: RefLength::Closest,
            smoothing: 0.0,
        }
    }
}

/// The corpus BLEU score and its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Bleu {
    /// `B · exp(mean log p_n)`.
    pub score: f64,
    /// Modified n-gram precision `p_n` for n = 1..=max_n.
    pub precisions: Vec<f64>,
    /// Brevity penalty `B` (1 if `c > r`, else `exp(1 - r/c)`).
    pub brevity_penalty: f64,
    /// Total candidate length `c`.
    pub candidate_length: usize,
    /// Total reference length `r`.
    pub reference_length: f64,
}

fn ngrams(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut counts = HashMap::new();
    if tokens.len() >= n {
        for w in tokens.windows(n) {
            *counts.entry(w).or_insert(0) += 1;
        }
    }
    counts
}

/// Clipped n-gram matches of `candidate` against `references` and the candidate's n-gram count:
/// each n-gram counts at most as often as it appears in the reference where it is most frequent.
pub fn modified_precision(
    candidate: &[String],
    references: &[Vec<String>],
    n: usize,
) -> (usize, usize) {
    let cand = ngrams(candidate, n);
    let mut max_ref: HashMap<&[String], usize> = HashMap::new();
    for r in references {
        for (g, c) in ngrams(r, n) {
            let e = max_ref.entry(g).or_insert(0);
            *e = (*e).max(c);
        }
    }
    let clipped = cand
        .iter()
        .map(|(g, &c)| c.min(max_ref.get(g).copied().unwrap_or(0)))
        .sum();
    (clipped, candidate.len().saturating_sub(n - 1))
}

/// Corpus BLEU of tokenised `candidates`, each with one or more tokenised `references`.
pub fn bleu(
    candidates: &[Vec<String>],
    references: &[Vec<Vec<String>>],
    options: &BleuOptions,
) -> Result<Bleu> {
    let bad = |msg: String| Error::InvalidArgument { op: "bleu", msg };
    if candidates.is_empty() || candidates.len() != references.len() {
        return Err(bad(format!(
            "needs one list of references per candidate: {} candidates, {} reference lists",
            candidates.len(),
            references.len()
        )));
    }
    if options.max_n == 0 || !(options.smoothing >= 0.0 && options.smoothing.is_finite()) {
        return Err(bad(format!(
            "max_n must be >= 1 and smoothing finite and >= 0, got {} and {}",
            options.max_n, options.smoothing
        )));
    }
    if let Some(i) = references.iter().position(|r| r.is_empty()) {
        return Err(bad(format!("candidate {i} has no reference")));
    }
    let mut matched = vec![0usize; options.max_n];
    let mut total = vec![0usize; options.max_n];
    let (mut c, mut r) = (0usize, 0.0f64);
    for (cand, refs) in candidates.iter().zip(references) {
        for n in 1..=options.max_n {
            let (m, t) = modified_precision(cand, refs, n);
            matched[n - 1] += m;
            total[n - 1] += t;
        }
        c += cand.len();
        r += match options.ref_length {
            RefLength::Closest => refs
                .iter()
                .map(Vec::len)
                .min_by_key(|&len| (len.abs_diff(cand.len()), len))
                .unwrap_or(0) as f64,
            RefLength::Average => {
                refs.iter().map(Vec::len).sum::<usize>() as f64 / refs.len() as f64
            }
        };
    }
    let precisions: Vec<f64> = matched
        .iter()
        .zip(&total)
        .map(|(&m, &t)| {
            if m == 0 && options.smoothing > 0.0 {
                options.smoothing / (t as f64 + options.smoothing)
            } else if t == 0 {
                0.0
            } else {
                m as f64 / t as f64
            }
        })
        .collect();
    let brevity_penalty = if c == 0 {
        0.0
    } else if c as f64 > r {
        1.0
    } else {
        (1.0 - r / c as f64).exp()
    };
    let score = if precisions.contains(&0.0) {
        0.0
    } else {
        brevity_penalty
            * (precisions.iter().map(|p| p.ln()).sum::<f64>() / options.max_n as f64).exp()
    };
    Ok(Bleu {
        score,
        precisions,
        brevity_penalty,
        candidate_length: c,
        reference_length: r,
    })
}

/// Perplexity `exp(mean negative log-likelihood per token)`.
pub fn perplexity(mean_nll: f64) -> f64 {
    mean_nll.exp()
}
