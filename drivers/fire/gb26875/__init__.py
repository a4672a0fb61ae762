"""GB/T 26875.3-2011 (城市消防远程监控系统 报警传输网络通信协议): monitoring-centre codec."""
