# Reference values for judgement and expectation shares (issue 9 item 3, issue 10 item 3),
# computed with R's survey package: the design-based share of each answer category among the
# item's base (asked and answered), for the whole sample and by domain, with svyciprop intervals.
#
# Usage (from tests/analysis/reference/):  Rscript r/reference_shares.R
# Debian: apt-get install r-base-core r-cran-survey r-cran-jsonlite
# Writes data/shares_synthetic.csv (the synthetic respondents, seed 2024) and
# shares_reference.json (every case with the R call that produced it).
#
# The data: 5 agencies as strata (N_h frame counts, fpc), weights N_h / n_h times a
# non-response factor, two provinces crossing the strata; q8 (yes/no) gates q4 (asked only when
# q8 == "yes", like a block after Q8); q4 none/some/many with 8% left blank among those asked;
# q10 very_much/much/little with 5% blank. Blank or not asked = NA = outside the base.

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
options(survey.lonely.psu = "adjust")
num <- function(x) unname(as.numeric(x))
set.seed(2024)
agencies <- c("A", "B", "C", "D", "E")
pop <- c(A = 2600, B = 900, C = 1500, D = 700, E = 3100)
n_h <- c(A = 70, B = 35, C = 50, D = 25, E = 80)
sip <- do.call(rbind, lapply(agencies, function(a) {
  k <- n_h[[a]]
  data.frame(agency = a, N = pop[[a]], w = pop[[a]] / k * runif(k, 0.8, 1.25),
             province = sample(c("01", "79"), k, replace = TRUE, prob = c(0.6, 0.4)),
             q8 = sample(c("yes", "no"), k, replace = TRUE, prob = c(0.75, 0.25)),
             stringsAsFactors = FALSE)
}))
n <- nrow(sip)
p4 <- ifelse(sip$agency %in% c("A", "E"), 0.9, 0.75)
u <- runif(n)
sip$q4 <- ifelse(u < p4, "none", ifelse(u < p4 + (1 - p4) * 0.8, "some", "many"))
sip$q4[sip$q8 != "yes" | runif(n) < 0.08] <- NA
sip$q10 <- sample(c("very_much", "much", "little"), n, replace = TRUE, prob = c(0.35, 0.3, 0.35))
sip$q10[runif(n) < 0.05] <- NA
write.csv(sip, "data/shares_synthetic.csv", row.names = FALSE, na = "")

d <- svydesign(id = ~1, strata = ~agency, weights = ~w, fpc = ~N, data = sip)
d4 <- subset(d, !is.na(q4))
d10 <- subset(d, !is.na(q10))
design_call <- "d <- svydesign(id = ~1, strata = ~agency, weights = ~w, fpc = ~N, data = sip)"
cases <- list()
m <- svymean(~factor(q4), d4)
cases[["q4.whole"]] <- list(
  call = paste(design_call, "; svymean(~factor(q4), subset(d, !is.na(q4)))"),
  categories = sub("factor\\(q4\\)", "", names(coef(m))),
  estimate = num(coef(m)), se = num(SE(m)), n_base = sum(!is.na(sip$q4)))
b <- svyby(~factor(q4), ~province, d4, svymean)
cats <- c("many", "none", "some")
cases[["q4.by_province"]] <- list(
  call = paste(design_call, "; svyby(~factor(q4), ~province, subset(d, !is.na(q4)), svymean)"),
  domains = b$province, categories = cats,
  estimate = lapply(cats, function(c) num(b[[paste0("factor(q4)", c)]])),
  se = lapply(cats, function(c) num(b[[paste0("se.factor(q4)", c)]])),
  n_base = num(table(sip$province[!is.na(sip$q4)])))
for (method in c("logit", "beta")) {
  ci <- svyciprop(~I(q4 == "none"), d4, method = method, level = 0.95)
  cases[[sprintf("q4.none.ci.%s", method)]] <- list(
    call = sprintf(paste("svyciprop(~I(q4 == \"none\"), subset(d, !is.na(q4)),",
                         "method = \"%s\", level = 0.95)"), method),
    estimate = num(coef(ci)), ci = num(attr(ci, "ci")))
}
bci <- svyby(~I(q4 == "many"), ~province, d4, svyciprop, vartype = "ci", method = "logit")
cases[["q4.many.ci.by_province"]] <- list(
  call = paste("svyby(~I(q4 == \"many\"), ~province, subset(d, !is.na(q4)), svyciprop,",
               "vartype = \"ci\", method = \"logit\")"),
  domains = bci$province, estimate = num(bci[[2]]), ci_lower = num(bci$ci_l),
  ci_upper = num(bci$ci_u))
top <- svymean(~I(q10 %in% c("very_much", "much")), d10)
topci <- svyciprop(~I(q10 %in% c("very_much", "much")), d10, method = "logit")
cases[["q10.top_two.whole"]] <- list(
  call = paste("svymean(~I(q10 %in% c(\"very_much\", \"much\")), subset(d, !is.na(q10)));",
               "svyciprop(same, method = \"logit\")"),
  estimate = num(coef(top))[2], se = num(SE(top))[2], ci = num(attr(topci, "ci")),
  n_base = sum(!is.na(sip$q10)))
btop <- svyby(~I(q10 %in% c("very_much", "much")), ~agency, d10, svyciprop, vartype = c("se", "ci"),
              method = "logit")
cases[["q10.top_two.by_agency"]] <- list(
  call = paste("svyby(~I(q10 %in% c(\"very_much\", \"much\")), ~agency, subset(d, !is.na(q10)),",
               "svyciprop, vartype = c(\"se\", \"ci\"), method = \"logit\")"),
  domains = btop$agency, estimate = num(btop[[2]]), se = num(btop$se),
  ci_lower = num(btop$ci_l), ci_upper = num(btop$ci_u))
meta <- list(
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  script = "r/reference_shares.R",
  data = "data/shares_synthetic.csv (written by this script, set.seed(2024); NA = not asked or blank)",
  design = design_call,
  options = "options(survey.lonely.psu = \"adjust\")")
writeLines(toJSON(list(meta = meta, cases = cases), auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "shares_reference.json")
