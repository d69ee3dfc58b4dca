DROP TABLE journey_versions;
DROP TABLE journeys;
