DROP TABLE messages;
DROP TABLE chat_sessions;
