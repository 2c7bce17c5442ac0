# Reference values for the statistical corrections of issue 9, item 6 (lonely PSUs in
# domains, calibrated SIPAS indices, replicate logit intervals, likelihood intervals in small
# domains), computed with R's survey package.
#
# Usage (from tests/analysis/reference/):  Rscript r/reference_fixes.R
# Debian: apt-get install r-base-core r-cran-survey r-cran-jsonlite
# Reads R's bundled api data (the same rows as ../../../../shared/reference/data/*.csv);
# writes data/sipas_synthetic.csv (synthetic SIPAS answers, drawn here with a fixed seed)
# and fixes_reference.json (every case with the R call that produced it).

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
data(api)
options(survey.lonely.psu = "fail", survey.replicates.mse = FALSE,
        survey.adjust.domain.lonely = FALSE)
num <- function(x) unname(as.numeric(x))
cases <- list()
add <- function(id, call, ...) {
  cases[[id]] <<- c(list(call = call), list(...))
}
apistrat$hi700 <- as.numeric(apistrat$api00 > 700)
apiclus1$hi700 <- as.numeric(apiclus1$api00 > 700)

# ------------------------------------------------ 1. lonely PSUs: whole sample and domains
# Counties as strata: 15 of the 40 counties hold a single sampled school.
dcounty <- svydesign(id = ~1, strata = ~cname, weights = ~pw, data = apistrat)
for (rule in c("adjust", "average", "certainty")) {
  options(survey.lonely.psu = rule)
  for (stat in c("total", "mean")) {
    fun <- if (stat == "total") svytotal else svymean
    whole <- fun(~api00, dcounty)
    add(sprintf("lonely.%s.%s.api00", rule, stat),
        sprintf('options(survey.lonely.psu = "%s"); svy%s(~api00, dcounty)', rule, stat),
        estimate = num(coef(whole)), se = num(SE(whole)))
    for (by in c("stype", "awards")) {
      b <- svyby(as.formula("~api00"), as.formula(paste0("~", by)), dcounty, fun)
      add(sprintf("lonely.%s.by_%s.%s.api00", rule, by, stat),
          sprintf('options(survey.lonely.psu = "%s"); svyby(~api00, ~%s, dcounty, svy%s)',
                  rule, by, stat),
          groups = as.character(b[[by]]), estimate = num(coef(b)), se = num(SE(b)))
    }
  }
  b <- svyby(~hi700, ~stype, dcounty, svymean)
  add(sprintf("lonely.%s.by_stype.mean.hi700", rule),
      sprintf('options(survey.lonely.psu = "%s"); svyby(~hi700, ~stype, dcounty, svymean)', rule),
      groups = as.character(b$stype), estimate = num(coef(b)), se = num(SE(b)))
}
options(survey.lonely.psu = "fail")

# ------------------------------------------------ 2. synthetic SIPAS answers
set.seed(20261209)
n <- 480
agency <- sample(c("A", "B", "C", "D", "E", "F"), n, replace = TRUE,
                 prob = c(0.25, 0.2, 0.2, 0.15, 0.1, 0.1))
N_agency <- c(A = 5200, B = 3100, C = 2600, D = 2000, E = 900, F = 700)
sex <- sample(c("f", "m"), n, replace = TRUE)
age <- sample(c("18-34", "35-54", "55+"), n, replace = TRUE, prob = c(0.3, 0.45, 0.25))
channel <- sample(c("desk", "online", "post"), n, replace = TRUE, prob = c(0.5, 0.35, 0.15))
level <- c(A = 0.3, B = 0.0, C = -0.4, D = 0.6, E = 0.1, F = -0.2)[agency] +
  ifelse(channel == "online", 0.3, 0) + rnorm(n, 0, 0.8)
answer <- function(shift, missing) {
  y <- pmin(5, pmax(1, round(3.6 + level + shift + rnorm(n, 0, 0.9))))
  y[runif(n) < missing] <- NA
  y
}
sip <- data.frame(agency = agency, sex = sex, age = age, channel = channel,
                  N = as.numeric(N_agency[agency]),
                  q1 = answer(0.2, 0.03), q2 = answer(-0.1, 0.06),
                  q3 = answer(0.0, 0.10), q4 = answer(-0.3, 0.35),
                  stringsAsFactors = FALSE)
n_h <- table(sip$agency)
sip$w <- sip$N / as.numeric(n_h[sip$agency])
for (j in 1:4) {
  q <- sip[[paste0("q", j)]]
  sip[[paste0("s", j)]] <- as.numeric(!is.na(q) & q >= 4)
  sip[[paste0("v", j)]] <- as.numeric(!is.na(q))
}
out <- sip[, c("agency", "sex", "age", "channel", "N", "w", "q1", "q2", "q3", "q4")]
out$w <- sprintf("%.17g", out$w)
dir.create("data", showWarnings = FALSE)
write.csv(out, "data/sipas_synthetic.csv", row.names = FALSE, na = "")

dsip <- svydesign(id = ~1, strata = ~agency, weights = ~w, fpc = ~N, data = sip)
sip$sexage <- paste(sip$sex, sip$age, sep = ":")
ps_pop <- data.frame(sexage = sort(unique(sip$sexage)),
                     Freq = c(2300, 3400, 1900, 2200, 3000, 1700))
dsip <- update(dsip, sexage = paste(sex, age, sep = ":"))
dps <- postStratify(dsip, ~sexage, ps_pop)
margins <- list(~sex, ~age, ~channel)
rake_pop <- list(data.frame(sex = c("f", "m"), Freq = c(7800, 6700)),
                 data.frame(age = c("18-34", "35-54", "55+"), Freq = c(4300, 6500, 3700)),
                 data.frame(channel = c("desk", "online", "post"), Freq = c(7500, 5000, 2000)))
drake <- rake(dsip, margins, rake_pop, control = list(maxit = 100, epsilon = 1e-10))
dep <- function(x) paste(deparse(x, width.cutoff = 500L), collapse = " ")
calls <- list(
  dsip = 'svydesign(id = ~1, strata = ~agency, weights = ~w, fpc = ~N, data = sip)',
  dps = paste0('postStratify(dsip, ~sexage, data.frame(sexage = ', dep(ps_pop$sexage),
               ', Freq = ', dep(ps_pop$Freq), '))'),
  drake = paste0('rake(dsip, list(~sex, ~age, ~channel), ', dep(rake_pop),
                 ', control = list(maxit = 100, epsilon = 1e-10))')
)

# The SIPAS criteria-mean tree of this data: element e1 = (q1, q2), e2 = (q3, q4); a criterion
# index is svyratio(s_j, v_j); an element the mean of its criteria, overall the mean of the
# elements (svycontrast of the svyratio covariance).
index_case <- function(design, dname, by) {
  groups <- sort(unique(sip[[by]]))
  rows <- list()
  for (g in groups) {
    sub <- design[sip[[by]] == g, ]
    r <- svyratio(~s1 + s2 + s3 + s4, ~v1 + v2 + v3 + v4, sub, covmat = TRUE)
    nm <- paste0("s", 1:4, "/v", 1:4)
    w <- function(e1, e2) {
      v <- setNames(rep(0, 16), names(coef(r)))
      v[nm] <- c(e1, e1, e2, e2)
      v
    }
    con <- svycontrast(r, list(overall = w(0.25, 0.25), e1 = w(0.5, 0), e2 = w(0, 0.5)))
    crit <- coef(r)[nm]
    crit_se <- sqrt(diag(vcov(r))[nm])
    rows[[g]] <- list(group = g,
                      nodes = c("overall", "e1", "e2", "q1", "q2", "q3", "q4"),
                      estimate = num(c(coef(con), crit)),
                      se = num(c(SE(con), crit_se)))
  }
  list(call = sprintf(paste0('for g in unique(sip$%s): r <- svyratio(~s1+s2+s3+s4, ~v1+v2+v3+v4, ',
                             '%s[sip$%s == g, ], covmat = TRUE); svycontrast(r, <criteria-mean ',
                             'weights>)  # %s = %s'), by, dname, by, dname, calls[[dname]]),
       domains = rows)
}
for (dname in c("dsip", "dps", "drake")) {
  for (by in c("agency", "channel")) {
    cases[[sprintf("indices.%s.by_%s", dname, by)]] <- index_case(get(dname), dname, by)
  }
}
cases[["indices.drake.weights"]] <- list(call = paste0("weights(drake)  # ", calls$drake),
                                        weights = num(weights(drake)))

# ------------------------------------------------ 3. logit intervals on replicate designs
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
reps <- list(
  rep_JKn_dstrat = as.svrepdesign(dstrat, type = "JKn"),
  rep_JK1_dclus1 = as.svrepdesign(dclus1, type = "JK1")
)
for (rname in names(reps)) {
  for (mse in c(FALSE, TRUE)) {
    rd <- reps[[rname]]
    rd$mse <- mse
    tag <- if (mse) "mse" else "mean"
    ci <- svyciprop(~hi700, rd, method = "logit")
    add(sprintf("%s.%s.ciprop.logit.hi700", rname, tag),
        sprintf('rd <- as.svrepdesign(%s, type = "%s"); rd$mse <- %s; svyciprop(~hi700, rd, method = "logit")',
                sub("rep_[A-Za-z0-9]+_", "", rname), sub("rep_([A-Za-z0-9]+)_.*", "\\1", rname), mse),
        estimate = num(ci), lower = num(attr(ci, "ci")[1]), upper = num(attr(ci, "ci")[2]),
        df = degf(rd))
    if (rname == "rep_JKn_dstrat") {
      b <- svyby(~hi700, ~awards, rd, svyciprop, method = "logit", vartype = "ci")
      add(sprintf("%s.%s.by_awards.ciprop.logit.hi700", rname, tag),
          sprintf('rd <- as.svrepdesign(dstrat, type = "JKn"); rd$mse <- %s; svyby(~hi700, ~awards, rd, svyciprop, method = "logit", vartype = "ci")', mse),
          groups = as.character(b$awards), estimate = num(coef(b)),
          lower = num(b$ci_l), upper = num(b$ci_u))
    }
  }
}
# Criterion shares of the SIPAS data on a JKn design: svyciprop on the rows that answered.
rsip <- as.svrepdesign(dsip, type = "JKn")
for (j in 1:4) {
  groups <- sort(unique(sip$agency))
  est <- lo <- hi <- numeric(0)
  for (g in groups) {
    sub <- rsip[sip$agency == g & sip[[paste0("v", j)]] == 1, ]
    # df of the domain (all its rows), as estimate_indices uses one df per domain
    ci <- svyciprop(as.formula(paste0("~s", j)), sub, method = "logit",
                    df = degf(rsip[sip$agency == g, ]))
    est <- c(est, ci); lo <- c(lo, attr(ci, "ci")[1]); hi <- c(hi, attr(ci, "ci")[2])
  }
  add(sprintf("indices.rsip.by_agency.ciprop.logit.q%d", j),
      sprintf('rsip <- as.svrepdesign(dsip, type = "JKn"); for g: svyciprop(~s%d, rsip[sip$agency == g & sip$v%d == 1, ], method = "logit", df = degf(rsip[sip$agency == g, ]))', j, j),
      groups = groups, estimate = num(est), lower = num(lo), upper = num(hi),
      df = vapply(groups, function(g) degf(rsip[sip$agency == g, ]), 0))
}

# ------------------------------------------------ 4. likelihood intervals in small domains
for (cn in c("Sonoma", "Tulare", "Alameda", "San Joaquin")) {
  ci <- svyciprop(~hi700, subset(dstrat, cname == cn), method = "likelihood")
  add(sprintf("dstrat.cname_%s.ciprop.likelihood.hi700", gsub(" ", "_", cn)),
      sprintf('svyciprop(~hi700, subset(dstrat, cname == "%s"), method = "likelihood")', cn),
      estimate = num(ci), lower = num(attr(ci, "ci")[1]), upper = num(attr(ci, "ci")[2]),
      df = degf(subset(dstrat, cname == cn)))
}

meta <- list(
  R = R.version.string, survey = as.character(packageVersion("survey")),
  jsonlite = as.character(packageVersion("jsonlite")),
  options = list(survey.replicates.mse = FALSE, survey.adjust.domain.lonely = FALSE),
  designs = c(list(dcounty = "svydesign(id = ~1, strata = ~cname, weights = ~pw, data = apistrat)",
                   dstrat = "svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)",
                   dclus1 = "svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)",
                   data = "data/sipas_synthetic.csv (s_j = q_j >= 4, v_j = q_j answered; sexage = paste(sex, age, sep = ':'))"),
              calls),
  derived = "hi700 = as.numeric(api00 > 700)"
)
# jsonlite prints at most 15 significant digits: write every double as the shortest of
# 15/16/17 digits that reads back as the same IEEE double.
shortest <- function(x) {
  vapply(x, function(v) {
    if (is.na(v)) return("null")
    for (d in 15:17) {
      s <- sprintf(paste0("%.", d, "g"), v)
      if (as.numeric(s) == v) return(s)
    }
    s
  }, "")
}
verbatim <- function(x) {
  if (is.list(x)) return(lapply(x, verbatim))
  if (is.double(x)) {
    s <- shortest(x)
    out <- if (length(x) == 1) s else paste0("[", paste(s, collapse = ", "), "]")
    return(structure(out, class = "json"))
  }
  x
}
writeLines(toJSON(verbatim(list(meta = meta, cases = cases)), auto_unbox = TRUE,
                  json_verbatim = TRUE, pretty = TRUE), "fixes_reference.json")
message("wrote fixes_reference.json with ", length(cases), " cases")
