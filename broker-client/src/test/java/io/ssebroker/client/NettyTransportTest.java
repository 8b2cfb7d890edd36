package io.ssebroker.client;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client's groups and channel classes go together: a Netty 4.2 loop takes channels of its own transport
 * only, so a mismatch fails the connect. Each group is used for a real loopback connection.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NettyTransportTest
{
    @Test
    void shouldConnectOverEpollWhereItLoads() throws Exception
    {
        // The native library is on this module's test class path, so on Linux x86_64 the default is epoll.
        assertEquals(Epoll.isAvailable(), NettyTransport.epoll(), "epoll unavailable: " + Epoll.unavailabilityCause());
        connectThrough(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class);
    }

    @Test
    void shouldConnectOverNioWhenAsked() throws Exception
    {
        final String before = System.getProperty("ssebroker.transport");
        System.setProperty("ssebroker.transport", "nio");
        try
        {
            assertFalse(NettyTransport.epoll());
            connectThrough(NioSocketChannel.class);
        }
        finally
        {
            if (null == before)
            {
                System.clearProperty("ssebroker.transport");
            }
            else
            {
                System.setProperty("ssebroker.transport", before);
            }
        }
    }

    private static void connectThrough(final Class<?> expectedChannelClass) throws IOException, InterruptedException
    {
        final EventLoopGroup group = NettyTransport.newEventLoopGroup(1, "transport-test");
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            assertEquals(expectedChannelClass, NettyTransport.socketChannelClass(group));
            assertEquals(expectedChannelClass, NettyTransport.socketChannelClass(group.next()), "class for one of its loops");
            final Channel channel = new Bootstrap()
                .group(group)
                .channel(NettyTransport.socketChannelClass(group))
                .handler(new ChannelInboundHandlerAdapter())
                .connect(server.getInetAddress(), server.getLocalPort())
                .syncUninterruptibly()
                .channel();
            try (Socket accepted = server.accept())
            {
                assertTrue(channel.isActive());
                assertEquals(expectedChannelClass, channel.getClass());
            }
            channel.close().syncUninterruptibly();
        }
        finally
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
