"""The steps of computing an index release, each a function with typed inputs and outputs.

:func:`survey.releases.compute_release` runs them in this order (the module docstring of
:mod:`survey.releases` gives the method):

1. :func:`~survey.release_pipeline.rows.load_rows` - the completed responses' strata, base
   weights, domain columns and answer matrix (:class:`~survey.release_pipeline.rows.ResponseRows`);
2. :func:`~survey.release_pipeline.weights.adjust_weights` - non-response adjustment within
   strata (:class:`~survey.release_pipeline.weights.Weighting`);
3. :func:`~survey.release_pipeline.design.build_design` - the stratified (or ultimate-cluster)
   design with its fpc (:class:`~survey.release_pipeline.design.DesignChoice`);
4. :func:`~survey.release_pipeline.indices.estimate_release_indices` - the whole campaign's, the
   domains' and the agencies' index tables (:class:`~survey.release_pipeline.indices.IndexTables`);
5. :func:`~survey.release_pipeline.disclosure.cell_flags` - reliability flags and the k = 5 rule;
6. :func:`~survey.release_pipeline.rankings.rank_agencies` - agencies ranked with rank intervals;
7. :func:`~survey.release_pipeline.disclosure.table_rows` - the typed rows
   (:class:`survey.release_rows.ReleaseRow`), suppressed cells without figures;
8. :mod:`~survey.release_pipeline.record` - the parameters and summary the release stores.
9. :func:`~survey.release_pipeline.shares.release_shares` - judgement and expectation shares
   (:class:`survey.release_rows.ShareRow`) for the questions the form marks ``publish_as``;
   nothing for a form without them.

Each step reads the database at most through the session it is given and writes nothing; the
use case commits.
"""
