# Reference values for the national figure as the mean of domain indices (issue 9, item 3:
# MoHA's "mean of the provincial indices"), computed with R's survey package.
#
# Usage (from tests/analysis/reference/):  Rscript r/reference_domain_contrasts.R
# Debian: apt-get install r-base-core r-cran-survey r-cran-jsonlite
# Reads data/sipas_synthetic.csv (written by r/reference_fixes.R); writes
# domain_contrasts_reference.json (every case with the R call that produced it).
#
# The tree is that of r/reference_index_tree.R: policy = {p1 = (q1), p2 = (q2, q3)},
# service = {s1 = (q4)}, sipas = mean of the two indices; a criterion index is the ratio
# s_j / v_j (s_j = q_j >= 4, v_j = q_j answered). The national figure of a node is the
# unweighted mean over the G domains of the node's domain estimates, theta = (1/G) sum_g theta_g,
# a contrast of the domain estimates whose variance needs their full covariance:
#   * a criterion: svyby(~s_j, ~domain, design, svyratio, denominator = ~v_j, covmat = TRUE),
#     then svycontrast(by, rep(1/G, G)) (a linear contrast of the domain ratios);
#   * every node (criteria, elements, indices, sipas): svyby(~s1+...+v4, ~domain, design,
#     svytotal, covmat = TRUE), then svycontrast(by, <expression>) with the node's formula in the
#     domain totals (R's delta method, i.e. Taylor linearisation of the ratios).
# (svyby(..., svyratio, covmat = TRUE) with several numerators fails in survey 4.1
# ("subscript out of bounds"), hence the totals for the composites.)
# Domains: channel (3 domains cutting across the strata: their covariances do not vanish) and
# agency (6 domains = the strata: covariances vanish).

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
dsip <- svydesign(id = ~1, strata = ~agency, weights = ~w, fpc = ~N, data = sip)
design_call <- "svydesign(id = ~1, strata = ~agency, weights = ~w, fpc = ~N, data = sip)"
# Weights on the criterion ratios (q1, q2, q3, q4) of each node.
nodes <- list(
  sipas = c(0.25, 0.125, 0.125, 0.5),
  policy = c(0.5, 0.25, 0.25, 0),
  service = c(0, 0, 0, 1),
  p1 = c(1, 0, 0, 0),
  p2 = c(0, 0.5, 0.5, 0),
  s1 = c(0, 0, 0, 1),
  q2 = c(0, 1, 0, 0),
  q3 = c(0, 0, 1, 0)
)
node_expression <- function(m, groups) {
  terms <- c()
  for (g in groups) {
    for (j in which(m != 0)) {
      terms <- c(terms, sprintf("%.17g * `%s:s%d` / `%s:v%d`", m[j] / length(groups), g, j, g, j))
    }
  }
  paste(terms, collapse = " + ")
}
cases <- list()
for (column in c("channel", "agency")) {
  groups <- sort(unique(sip[[column]]))
  totals <- svyby(~s1 + s2 + s3 + s4 + v1 + v2 + v3 + v4, make.formula(column), dsip, svytotal,
                  covmat = TRUE)
  estimate <- c()
  se <- c()
  for (node in names(nodes)) {
    con <- svycontrast(totals, parse(text = node_expression(nodes[[node]], groups))[[1]])
    estimate <- c(estimate, num(coef(con)))
    se <- c(se, num(SE(con)))
  }
  cases[[sprintf("mean_of_domains.%s.totals", column)]] <- list(
    call = sprintf(paste0("tot <- svyby(~s1+s2+s3+s4+v1+v2+v3+v4, ~%s, dsip, svytotal, ",
                          "covmat = TRUE); svycontrast(tot, quote(sum over g of ",
                          "sum_j m_j / G * `g:s_j` / `g:v_j`))  # m_j = node weights"), column),
    domains = groups,
    nodes = names(nodes),
    estimate = estimate,
    se = se
  )
  for (j in 2:3) {
    ratio <- svyby(make.formula(paste0("s", j)), make.formula(column), dsip, svyratio,
                   denominator = make.formula(paste0("v", j)), covmat = TRUE)
    con <- svycontrast(ratio, rep(1 / length(groups), length(groups)))
    cov_offdiag <- vcov(ratio)
    cases[[sprintf("mean_of_domains.%s.ratio_q%d", column, j)]] <- list(
      call = sprintf(paste0("r <- svyby(~s%d, ~%s, dsip, svyratio, denominator = ~v%d, ",
                            "covmat = TRUE); svycontrast(r, rep(1/%d, %d))"),
                     j, column, j, length(groups), length(groups)),
      domains = groups,
      node = sprintf("q%d", j),
      domain_estimate = num(coef(ratio)),
      domain_covariance = num(cov_offdiag),
      estimate = num(coef(con)),
      se = num(SE(con))
    )
  }
}
meta <- list(
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  script = "r/reference_domain_contrasts.R",
  data = "data/sipas_synthetic.csv (s_j = q_j >= 4, v_j = q_j answered)",
  design = design_call,
  node_weights = nodes
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
                  json_verbatim = TRUE, pretty = TRUE), "domain_contrasts_reference.json")
message("wrote domain_contrasts_reference.json with ", length(cases), " cases")
