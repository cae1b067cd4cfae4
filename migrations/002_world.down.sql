DROP TABLE chunks;
DROP TABLE admin_config;
