-- Version 5: the ICP's target companies, for the views that list who works or worked at one
-- (analytics.target_company_contacts). Written by every metrics refresh from the ICP file:
-- each entry as written, and the regular expression that applies the ICP's company rule
-- (case-insensitive, on word boundaries) in SQL, made by transforms/relevance.py.
CREATE TABLE marts.target_companies (
    target_company VARCHAR NOT NULL,
    pattern        VARCHAR NOT NULL
);
