# Reference values for the national form's index tree (issue 9, items 2-3): sipas <- policy,
# service <- elements <- criteria, computed with R's survey package.
#
# Usage (from tests/analysis/reference/):  Rscript r/reference_index_tree.R
# Debian: apt-get install r-base-core r-cran-survey r-cran-jsonlite
# Reads data/sipas_synthetic.csv (written by r/reference_fixes.R); writes
# index_tree_reference.json (every case with the R call that produced it).
#
# The tree: policy = {p1 = (q1), p2 = (q2, q3)}, service = {s1 = (q4)} (q4 is missing for 35%,
# like a block asked only after Q8). A criterion index is svyratio(s_j, v_j); an element the mean
# of its criteria; an index the mean of its elements; sipas the mean of the two indices
# (mean_of_indices) or of the three elements (mean_of_elements): svycontrast of the svyratio
# covariance.

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
options(survey.lonely.psu = "fail")
num <- function(x) unname(as.numeric(x))
sip <- read.csv("data/sipas_synthetic.csv", stringsAsFactors = FALSE)
for (j in 1:4) {
  q <- sip[[paste0("q", j)]]
  sip[[paste0("s", j)]] <- as.numeric(!is.na(q) & q >= 4)
  sip[[paste0("v", j)]] <- as.numeric(!is.na(q))
}
sip$sexage <- paste(sip$sex, sip$age, sep = ":")
dsip <- svydesign(id = ~1, strata = ~agency, weights = ~w, fpc = ~N, data = sip)
ps_pop <- data.frame(sexage = sort(unique(sip$sexage)),
                     Freq = c(2300, 3400, 1900, 2200, 3000, 1700))
dps <- postStratify(dsip, ~sexage, ps_pop)
dep <- function(x) paste(deparse(x, width.cutoff = 500L), collapse = " ")
calls <- list(
  dsip = 'svydesign(id = ~1, strata = ~agency, weights = ~w, fpc = ~N, data = sip)',
  dps = paste0('postStratify(dsip, ~sexage, data.frame(sexage = ', dep(ps_pop$sexage),
               ', Freq = ', dep(ps_pop$Freq), '))')
)
# Weights on (q1, q2, q3, q4) of each node.
contrasts <- list(
  sipas = c(0.25, 0.125, 0.125, 0.5),
  policy = c(0.5, 0.25, 0.25, 0),
  service = c(0, 0, 0, 1),
  p2 = c(0, 0.5, 0.5, 0),
  sipas_mean_of_elements = c(1, 0.5, 0.5, 1) / 3
)
nm <- paste0("s", 1:4, "/v", 1:4)
node_case <- function(sub) {
  r <- svyratio(~s1 + s2 + s3 + s4, ~v1 + v2 + v3 + v4, sub, covmat = TRUE)
  full <- lapply(contrasts, function(m) {
    v <- setNames(rep(0, 16), names(coef(r)))
    v[nm] <- m
    v
  })
  con <- svycontrast(r, full)
  list(nodes = names(contrasts), estimate = num(coef(con)), se = num(SE(con)))
}
cases <- list()
for (dname in c("dsip", "dps")) {
  design <- get(dname)
  cases[[sprintf("tree.%s.whole", dname)]] <- c(
    list(call = sprintf(paste0("r <- svyratio(~s1+s2+s3+s4, ~v1+v2+v3+v4, %s, covmat = TRUE); ",
                               "svycontrast(r, <node weights>)  # %s = %s"),
                        dname, dname, calls[[dname]])),
    node_case(design))
  rows <- list()
  for (g in sort(unique(sip$channel))) {
    rows[[g]] <- c(list(group = g), node_case(design[sip$channel == g, ]))
  }
  cases[[sprintf("tree.%s.by_channel", dname)]] <- list(
    call = sprintf(paste0("for g in unique(sip$channel): r <- svyratio(~s1+s2+s3+s4, ",
                          "~v1+v2+v3+v4, %s[sip$channel == g, ], covmat = TRUE); ",
                          "svycontrast(r, <node weights>)  # %s = %s"),
                   dname, dname, calls[[dname]]),
    domains = rows)
}
meta <- list(
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  script = "r/reference_index_tree.R",
  data = "data/sipas_synthetic.csv (s_j = q_j >= 4, v_j = q_j answered; sexage = paste(sex, age, sep = ':'))",
  node_weights = contrasts,
  calls = calls
)
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
                  json_verbatim = TRUE, pretty = TRUE), "index_tree_reference.json")
message("wrote index_tree_reference.json with ", length(cases), " cases")
