# Reference values for linear (GREG), bounded linear and raking calibration with R's
# calibrate() (issue 9, item 4), computed with R's survey package.
#
# Usage (from tests/analysis/reference/):  Rscript r/reference_calibrate.R
# Debian: apt-get install r-base-core r-cran-survey r-cran-jsonlite
# Reads data/sipas_synthetic.csv (written by r/reference_fixes.R) and R's bundled api data
# (the same rows as ../../../../shared/reference/data/*.csv); writes calibrate_reference.json
# (every case with the R call that produced it).

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
data(api)
options(survey.lonely.psu = "fail", survey.replicates.mse = FALSE)
num <- function(x) unname(as.numeric(x))
dep <- function(x) paste(deparse(x, width.cutoff = 500L), collapse = " ")
cases <- list()
add <- function(id, call, ...) {
  cases[[id]] <<- c(list(call = call), list(...))
}

sip <- read.csv("data/sipas_synthetic.csv", stringsAsFactors = FALSE)
for (j in 1:4) {
  q <- sip[[paste0("q", j)]]
  sip[[paste0("s", j)]] <- as.numeric(!is.na(q) & q >= 4)
  sip[[paste0("v", j)]] <- as.numeric(!is.na(q))
}
dsip <- svydesign(id = ~1, strata = ~agency, weights = ~w, fpc = ~N, data = sip)
margins <- list(~sex, ~age, ~channel)
pop <- list(data.frame(sex = c("f", "m"), Freq = c(7800, 6700)),
            data.frame(age = c("18-34", "35-54", "55+"), Freq = c(4300, 6500, 3700)),
            data.frame(channel = c("desk", "online", "post"), Freq = c(7500, 5000, 2000)))
bounds <- c(0.81, 1.09)
designs <- list(
  dgreg = calibrate(dsip, margins, pop, calfun = "linear"),
  dbounded = calibrate(dsip, margins, pop, calfun = "linear", bounds = bounds),
  dcalrake = calibrate(dsip, margins, pop, calfun = "raking")
)
calls <- list(
  dsip = "svydesign(id = ~1, strata = ~agency, weights = ~w, fpc = ~N, data = sip)",
  dgreg = paste0("calibrate(dsip, list(~sex, ~age, ~channel), ", dep(pop),
                 ', calfun = "linear")'),
  dbounded = paste0("calibrate(dsip, list(~sex, ~age, ~channel), ", dep(pop),
                    ', calfun = "linear", bounds = c(0.81, 1.09))'),
  dcalrake = paste0("calibrate(dsip, list(~sex, ~age, ~channel), ", dep(pop),
                    ', calfun = "raking")')
)

# svymean / svytotal / svyratio, whole sample and by domain (svyby of the calibrated design).
for (dname in names(designs)) {
  d <- designs[[dname]]
  add(sprintf("%s.weights", dname), sprintf("weights(%s)  # %s", dname, calls[[dname]]),
      weights = num(weights(d)))
  m <- svymean(~s1 + s2, d)
  add(sprintf("%s.mean.s1_s2", dname), sprintf("svymean(~s1 + s2, %s)", dname),
      estimate = num(coef(m)), se = num(SE(m)))
  t <- svytotal(~v1 + s3, d)
  add(sprintf("%s.total.v1_s3", dname), sprintf("svytotal(~v1 + s3, %s)", dname),
      estimate = num(coef(t)), se = num(SE(t)))
  r <- svyratio(~s4, ~v4, d)
  add(sprintf("%s.ratio.s4_v4", dname), sprintf("svyratio(~s4, ~v4, %s)", dname),
      estimate = num(coef(r)), se = num(SE(r)))
  for (by in c("agency", "channel")) {
    f <- as.formula(paste0("~", by))
    bm <- svyby(~s1, f, d, svymean)
    add(sprintf("%s.by_%s.mean.s1", dname, by), sprintf("svyby(~s1, ~%s, %s, svymean)", by, dname),
        groups = as.character(bm[[by]]), estimate = num(coef(bm)), se = num(SE(bm)))
    bt <- svyby(~v1, f, d, svytotal)
    add(sprintf("%s.by_%s.total.v1", dname, by), sprintf("svyby(~v1, ~%s, %s, svytotal)", by, dname),
        groups = as.character(bt[[by]]), estimate = num(coef(bt)), se = num(SE(bt)))
    br <- svyby(~s4, f, d, svyratio, denominator = ~v4)
    add(sprintf("%s.by_%s.ratio.s4_v4", dname, by),
        sprintf("svyby(~s4, ~%s, %s, svyratio, denominator = ~v4)", by, dname),
        groups = as.character(br[[by]]), estimate = num(coef(br)), se = num(SE(br)))
  }
}

# The SIPAS criteria-mean tree: element e1 = (q1, q2), e2 = (q3, q4); a criterion index is
# svyratio(s_j, v_j); an element the mean of its criteria, overall the mean of the elements
# (svycontrast of the svyratio covariance). "all" is the whole sample.
index_case <- function(design, dname, by) {
  groups <- if (is.null(by)) "all" else sort(unique(sip[[by]]))
  rows <- list()
  for (g in groups) {
    sub <- if (is.null(by)) design else design[sip[[by]] == g, ]
    r <- svyratio(~s1 + s2 + s3 + s4, ~v1 + v2 + v3 + v4, sub, covmat = TRUE)
    nm <- paste0("s", 1:4, "/v", 1:4)
    w <- function(e1, e2) {
      v <- setNames(rep(0, 16), names(coef(r)))
      v[nm] <- c(e1, e1, e2, e2)
      v
    }
    con <- svycontrast(r, list(overall = w(0.25, 0.25), e1 = w(0.5, 0), e2 = w(0, 0.5)))
    rows[[g]] <- list(group = g,
                      nodes = c("overall", "e1", "e2", "q1", "q2", "q3", "q4"),
                      estimate = num(c(coef(con), coef(r)[nm])),
                      se = num(c(SE(con), sqrt(diag(vcov(r))[nm]))))
  }
  sel <- if (is.null(by)) dname else sprintf("%s[sip$%s == g, ]", dname, by)
  list(call = sprintf(paste0("r <- svyratio(~s1+s2+s3+s4, ~v1+v2+v3+v4, %s, covmat = TRUE); ",
                             "svycontrast(r, <criteria-mean weights>)  # %s = %s"),
                      sel, dname, calls[[dname]]),
       domains = rows)
}
for (dname in names(designs)) {
  assign(dname, designs[[dname]])
  cases[[sprintf("indices.%s.whole", dname)]] <- index_case(designs[[dname]], dname, NULL)
  for (by in c("agency", "channel")) {
    cases[[sprintf("indices.%s.by_%s", dname, by)]] <- index_case(designs[[dname]], dname, by)
  }
}

# Replicates calibrated again (R's calibrate on a svyrep.design calibrates every replicate).
rsip <- as.svrepdesign(dsip, type = "JKn")
for (calfun in c("linear", "raking")) {
  rd <- calibrate(rsip, margins, pop, calfun = calfun)
  call <- sprintf('calibrate(as.svrepdesign(dsip, type = "JKn"), list(~sex, ~age, ~channel), %s, calfun = "%s")',
                  dep(pop), calfun)
  m <- svymean(~s1 + s2, rd)
  add(sprintf("rep_JKn.%s.mean.s1_s2", calfun), paste0("svymean(~s1 + s2, rd)  # rd = ", call),
      estimate = num(coef(m)), se = num(SE(m)))
  br <- svyby(~s4, ~channel, rd, svyratio, denominator = ~v4)
  add(sprintf("rep_JKn.%s.by_channel.ratio.s4_v4", calfun),
      paste0("svyby(~s4, ~channel, rd, svyratio, denominator = ~v4)  # rd = ", call),
      groups = as.character(br$channel), estimate = num(coef(br)), se = num(SE(br)))
}
rb <- calibrate(rsip, margins, pop, calfun = "linear", bounds = bounds)
m <- svymean(~s1 + s2, rb)
add("rep_JKn.bounded.mean.s1_s2",
    paste0('svymean(~s1 + s2, rb)  # rb = calibrate(as.svrepdesign(dsip, type = "JKn"), list(~sex, ~age, ~channel), ',
           dep(pop), ', calfun = "linear", bounds = c(0.81, 1.09))'),
    estimate = num(coef(m)), se = num(SE(m)))

# A numeric auxiliary: R's classic calibrate(dclus1, ~stype + api99, ...) example.
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
pp <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = sum(apipop$api99))
dapi <- calibrate(dclus1, ~stype + api99, pp)
api_call <- paste0("calibrate(dclus1, ~stype + api99, ", dep(pp), ")")
add("api.weights", paste0("weights(dapi)  # dapi = ", api_call), weights = num(weights(dapi)))
m <- svymean(~api00 + enroll, dapi)
add("api.mean.api00_enroll", paste0("svymean(~api00 + enroll, dapi)  # dapi = ", api_call),
    estimate = num(coef(m)), se = num(SE(m)))
b <- svyby(~api00, ~awards, dapi, svytotal)
add("api.by_awards.total.api00", paste0("svyby(~api00, ~awards, dapi, svytotal)  # dapi = ", api_call),
    groups = as.character(b$awards), estimate = num(coef(b)), se = num(SE(b)))
dapirake <- calibrate(dclus1, ~stype + api99, pp, calfun = "raking")
m <- svymean(~api00 + enroll, dapirake)
add("api.raking.mean.api00_enroll",
    paste0("svymean(~api00 + enroll, dapirake)  # dapirake = calibrate(dclus1, ~stype + api99, ",
           dep(pp), ', calfun = "raking")'),
    estimate = num(coef(m)), se = num(SE(m)))

meta <- list(
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  options = "survey.lonely.psu = 'fail', survey.replicates.mse = FALSE",
  designs = c(list(dclus1 = "svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)",
                   data = "data/sipas_synthetic.csv (s_j = q_j >= 4, v_j = q_j answered)"),
              calls)
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
                  json_verbatim = TRUE, pretty = TRUE), "calibrate_reference.json")
message("wrote calibrate_reference.json with ", length(cases), " cases")
