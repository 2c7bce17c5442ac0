# Reference values for issue 9, item 6 (second-stage fpc, quantiles by domain), computed
# with R's survey package.
#
# Usage (from tests/analysis/reference/):  Rscript r/reference_stage2_quantiles.R
# Debian: apt-get install r-base-core r-cran-survey r-cran-jsonlite
# Writes data/apiclus2.csv (R's bundled two-stage api sample, the columns used) and
# stage2_quantiles_reference.json (every case with the R call that produced it).

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
data(api)
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)
num <- function(x) unname(as.numeric(x))
cases <- list()
add <- function(id, call, ...) {
  cases[[id]] <<- c(list(call = call), list(...))
}
apiclus2$hi700 <- as.numeric(apiclus2$api00 > 700)
# Every district sampled with certainty: only the second stage has variance.
apiclus2$n1 <- 40

dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
dclus2c <- svydesign(id = ~dnum + snum, fpc = ~n1 + fpc2, data = apiclus2)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
designs <- list(
  dclus2 = "svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)",
  dclus2c = "svydesign(id = ~dnum + snum, fpc = ~n1 + fpc2, data = apiclus2) (n1 = 40)",
  dclus1 = "svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)",
  dstrat = "svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)"
)

# ------------------------------------------------ 1. two-stage designs, fpc at both stages
for (d in c("dclus2", "dclus2c")) {
  des <- get(d)
  for (v in c("api00", "hi700")) {
    for (stat in c("mean", "total")) {
      fun <- if (stat == "mean") svymean else svytotal
      e <- fun(as.formula(paste0("~", v)), des)
      add(sprintf("stage2.%s.%s.%s", d, stat, v),
          sprintf("svy%s(~%s, %s)", stat, v, d),
          estimate = num(coef(e)), se = num(SE(e)))
      b <- svyby(as.formula(paste0("~", v)), ~stype, des, fun)
      add(sprintf("stage2.%s.by_stype.%s.%s", d, stat, v),
          sprintf("svyby(~%s, ~stype, %s, svy%s)", v, d, stat),
          groups = as.character(b$stype), estimate = num(coef(b)), se = num(SE(b)))
    }
  }
  e <- svyratio(~api00, ~api99, des)
  add(sprintf("stage2.%s.ratio.api00_api99", d), sprintf("svyratio(~api00, ~api99, %s)", d),
      estimate = num(coef(e)), se = num(SE(e)))
}
# Post-stratified to the population's school types: the residuals feed both stages.
pop_stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
dclus2ps <- postStratify(dclus2, ~stype, pop_stype)
for (v in c("api00", "hi700")) {
  e <- svymean(as.formula(paste0("~", v)), dclus2ps)
  add(sprintf("calibrated.dclus2ps.mean.%s", v),
      sprintf("svymean(~%s, postStratify(dclus2, ~stype, pop_stype)) (E 4421, H 755, M 1018)", v),
      estimate = num(coef(e)), se = num(SE(e)))
}
b <- svyby(~api00, ~awards, dclus2ps, svytotal)
add("calibrated.dclus2ps.by_awards.total.api00",
    "svyby(~api00, ~awards, postStratify(dclus2, ~stype, pop_stype), svytotal)",
    groups = as.character(b$awards), estimate = num(coef(b)), se = num(SE(b)))

# One-stage variance of the same sample (R's ultimate-cluster approximation), for contrast.
e <- svymean(~api00, svydesign(id = ~dnum, fpc = ~fpc1, weights = ~pw, data = apiclus2))
add("stage2.dclus2.first_stage_only.mean.api00",
    "svymean(~api00, svydesign(id = ~dnum, fpc = ~fpc1, weights = ~pw, data = apiclus2))",
    estimate = num(coef(e)), se = num(SE(e)))

# ------------------------------------------------ 2. quantiles by domain
# svyby keeps only the quantile and its SE; confint() of the svyby object is the symmetric
# quantile +/- t SE. The Woodruff limits come from svyquantile on each domain's subset, which
# is what svyby evaluates (design[by == level, ]).
qcase <- function(id, call, b, by, des, p, qrule = "math", dname = d) {
  lim <- t(sapply(as.character(b[[by]]), function(g) {
    q <- svyquantile(~api00, des[des$variables[[by]] == g, ], quantiles = p, ci = TRUE,
                     qrule = qrule)
    q$api00[1, 2:3]
  }))
  add(id, call, groups = as.character(b[[by]]), estimate = num(coef(b)), se = num(SE(b)),
      lower = num(lim[, 1]), upper = num(lim[, 2]),
      limits_call = sprintf(
        'svyquantile(~api00, %s[%s == g, ], quantiles = %s, ci = TRUE, qrule = "%s")$api00[, 2:3]',
        dname, by, p, qrule))
}
for (spec in list(c("dclus2", "stype"), c("dclus1", "stype"), c("dstrat", "awards"),
                  c("dstrat", "stype"))) {
  d <- spec[1]; by <- spec[2]
  des <- get(d)
  for (p in c(0.25, 0.5)) {
    b <- svyby(~api00, as.formula(paste0("~", by)), des, svyquantile, quantiles = p, ci = TRUE)
    qcase(sprintf("quantile.%s.by_%s.p%02d", d, by, round(100 * p)),
          sprintf("svyby(~api00, ~%s, %s, svyquantile, quantiles = %s, ci = TRUE)", by, d, p),
          b, by, des, p)
  }
}
b <- svyby(~api00, ~stype, dclus1, svyquantile, quantiles = 0.5, ci = TRUE, qrule = "hf7")
qcase("quantile.dclus1.by_stype.p50.hf7",
      'svyby(~api00, ~stype, dclus1, svyquantile, quantiles = 0.5, ci = TRUE, qrule = "hf7")',
      b, "stype", dclus1, 0.5, "hf7", "dclus1")

write.csv(apiclus2[, c("dnum", "snum", "stype", "awards", "fpc1", "fpc2", "pw", "api00",
                      "api99")],
          "data/apiclus2.csv", row.names = FALSE)
meta <- list(R = R.version.string, survey = as.character(packageVersion("survey")),
             jsonlite = as.character(packageVersion("jsonlite")),
             options = list(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE),
             designs = designs)
writeLines(toJSON(list(meta = meta, cases = cases), auto_unbox = TRUE, digits = NA,
                  pretty = TRUE),
           "stage2_quantiles_reference.json")
