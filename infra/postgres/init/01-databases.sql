-- Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d):
-- one database per service. infra/up.sh does the same for the local, Docker-less setup.
CREATE DATABASE tally_auth;
CREATE DATABASE tally_group;
CREATE DATABASE tally_expense;
CREATE DATABASE tally_payment;
CREATE DATABASE tally_analytics;
CREATE DATABASE tally_notification;
